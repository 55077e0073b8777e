//! When each email of a campaign falls due for one recipient.
//!
//! Step 0 is the invitation, due at opening; step n is the n-th reminder,
//! due `offsets_hours[n − 1]` after opening. A policy may then place each
//! reminder at a local time of day, on the local day its offset falls, and
//! keep every step out of quiet hours by deferring it to their end. Local
//! means the recipient's own IANA time zone, so a daily 09:00 reminder stays
//! at 09:00 on both sides of a daylight-saving change.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How a campaign's reminders are timed, beyond their offsets.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReminderPolicy {
    /// Reminders go out at this local time, on the local day their offset
    /// falls; without it, at the offset itself.
    #[serde(default)]
    pub send_at: Option<NaiveTime>,
    /// Local hours in which nothing is sent, `[from, to)`; the window may
    /// span midnight. An email due inside is deferred to its end.
    #[serde(default)]
    pub quiet: Option<QuietHours>,
    /// No more reminders once this share of invitees has answered.
    #[serde(default)]
    pub target_response_rate: Option<f64>,
    /// Hours after opening at which the invitees who have still not
    /// answered are named to their tutors, or to the coordinators for
    /// learners without one: the last step, once per recipient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_after_hours: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    pub from: NaiveTime,
    pub to: NaiveTime,
}

impl QuietHours {
    /// Whether `time` falls in the window.
    pub fn contains(&self, time: NaiveTime) -> bool {
        if self.from <= self.to {
            self.from <= time && time < self.to
        } else {
            time >= self.from || time < self.to
        }
    }
}

impl ReminderPolicy {
    /// Reads a stored policy; anything unreadable is no policy.
    pub fn from_json(value: Option<&serde_json::Value>) -> Self {
        value
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    /// Whether reminders (not invitations) stop at this response rate.
    pub fn target_reached(&self, responded: u64, invited: u64) -> bool {
        match self.target_response_rate {
            Some(target) if invited > 0 => responded as f64 / invited as f64 >= target,
            _ => false,
        }
    }
}

/// The due time of every step for a recipient in `zone`, in step order;
/// steps that would fall at or after `closes_at` are left out.
pub fn schedule(
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
    offsets_hours: &[i64],
    policy: &ReminderPolicy,
    zone: Tz,
) -> Vec<DateTime<Utc>> {
    // Deferred out of quiet hours, unless that would pass closing: an email
    // in quiet hours is better than none.
    let defer = |due: DateTime<Utc>| {
        let later = quiet_end(due, policy.quiet, zone);
        if later >= closes_at { due } else { later }
    };
    let mut out = Vec::with_capacity(offsets_hours.len() + 1);
    out.push(defer(opens_at));
    for hours in offsets_hours {
        let Some(base) = Duration::try_hours(*hours).and_then(|d| opens_at.checked_add_signed(d))
        else {
            break;
        };
        let placed = match policy.send_at {
            Some(time) => at_local(base.with_timezone(&zone).date_naive().and_time(time), zone),
            None => base,
        };
        out.push(defer(placed));
    }
    // A step never falls before the one it follows, nor after closing.
    for i in 1..out.len() {
        if out[i] < out[i - 1] {
            out[i] = out[i - 1];
        }
    }
    out.retain(|due| *due < closes_at);
    out
}

/// The latest step due at `at`, if any.
pub fn latest_due(schedule: &[DateTime<Utc>], at: DateTime<Utc>) -> Option<usize> {
    schedule
        .iter()
        .take_while(|due| **due <= at)
        .count()
        .checked_sub(1)
}

/// The time zone named `name`; UTC when it is not a known IANA name.
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// `due`, or the end of the quiet hours it falls in.
fn quiet_end(due: DateTime<Utc>, quiet: Option<QuietHours>, zone: Tz) -> DateTime<Utc> {
    let Some(quiet) = quiet else {
        return due;
    };
    let local = due.with_timezone(&zone).naive_local();
    if !quiet.contains(local.time()) {
        return due;
    }
    let mut end = local.date().and_time(quiet.to);
    if end <= local {
        end += Duration::days(1);
    }
    at_local(end, zone).max(due)
}

/// The instant a local wall-clock time names: the earlier of two in the
/// hour that repeats, the first valid minute after a skipped hour.
fn at_local(local: NaiveDateTime, zone: Tz) -> DateTime<Utc> {
    let mut probe = local;
    for _ in 0..=180 {
        match zone.from_local_datetime(&probe) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(early, _) => return early.with_timezone(&Utc),
            LocalResult::None => probe += Duration::minutes(1),
        }
    }
    Utc.from_utc_datetime(&local)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, d, h, m, 0).unwrap()
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn a_daily_nine_oclock_reminder_stays_at_nine_across_the_change_to_summer_time() {
        // Paris moves from UTC+1 to UTC+2 at 02:00 on Sunday 28 March 2027.
        let paris = zone("Europe/Paris");
        let policy = ReminderPolicy {
            send_at: Some(hm(9, 0)),
            ..ReminderPolicy::default()
        };
        let opens = utc(25, 8, 0); // 09:00 in Paris
        let days: Vec<i64> = (1..=5).map(|d| d * 24).collect();

        let due = schedule(opens, utc(31, 22, 0), &days, &policy, paris);

        let local: Vec<String> = due
            .iter()
            .map(|t| t.with_timezone(&paris).format("%d %H:%M %Z").to_string())
            .collect();
        assert_eq!(
            local,
            [
                "25 09:00 CET",
                "26 09:00 CET",
                "27 09:00 CET",
                "28 09:00 CEST",
                "29 09:00 CEST",
                "30 09:00 CEST"
            ]
        );
        assert_eq!(due[3], utc(28, 7, 0));
    }

    #[test]
    fn the_same_policy_follows_each_recipients_own_zone() {
        let policy = ReminderPolicy {
            send_at: Some(hm(9, 0)),
            ..ReminderPolicy::default()
        };
        // New York changed to summer time on 14 March, Paris on 28 March.
        let opens = utc(20, 12, 0);
        let paris = schedule(opens, utc(31, 0, 0), &[48], &policy, zone("Europe/Paris"));
        let new_york = schedule(
            opens,
            utc(31, 0, 0),
            &[48],
            &policy,
            zone("America/New_York"),
        );
        assert_eq!(paris[1], utc(22, 8, 0));
        assert_eq!(new_york[1], utc(22, 13, 0));
    }

    #[test]
    fn quiet_hours_defer_an_email_to_their_end_and_never_drop_it() {
        let paris = zone("Europe/Paris");
        let policy = ReminderPolicy {
            quiet: Some(QuietHours {
                from: hm(20, 0),
                to: hm(8, 0),
            }),
            ..ReminderPolicy::default()
        };
        // Opening at 23:30 in Paris, a reminder due 03:30 two days later.
        let opens = utc(10, 22, 30);
        let due = schedule(opens, utc(20, 0, 0), &[28], &policy, paris);
        assert_eq!(due, [utc(11, 7, 0), utc(12, 7, 0)]);
        // Due at 07:59 local: 08:00; due at 08:00: unchanged; due at 19:59: unchanged.
        for (at, expected) in [
            (utc(11, 6, 59), utc(11, 7, 0)),
            (utc(11, 7, 0), utc(11, 7, 0)),
            (utc(11, 18, 59), utc(11, 18, 59)),
            (utc(11, 19, 0), utc(12, 7, 0)),
        ] {
            assert_eq!(quiet_end(at, policy.quiet, paris), expected, "{at}");
        }
        // A deferral is caught by the next sweep after the window.
        assert_eq!(latest_due(&due, utc(11, 6, 0)), None);
        assert_eq!(latest_due(&due, utc(11, 7, 5)), Some(0));
    }

    #[test]
    fn an_email_whose_deferral_would_pass_closing_goes_in_quiet_hours() {
        let policy = ReminderPolicy {
            quiet: Some(QuietHours {
                from: hm(20, 0),
                to: hm(8, 0),
            }),
            ..ReminderPolicy::default()
        };
        // Opens at 22:00 UTC, closes at 06:00: the invitation cannot wait for 08:00.
        let due = schedule(utc(10, 22, 0), utc(11, 6, 0), &[2], &policy, Tz::UTC);
        assert_eq!(due, [utc(10, 22, 0), utc(11, 0, 0)]);
    }

    #[test]
    fn a_quiet_window_within_the_day_and_across_the_spring_gap() {
        let paris = zone("Europe/Paris");
        let lunch = Some(QuietHours {
            from: hm(12, 0),
            to: hm(14, 0),
        });
        assert_eq!(quiet_end(utc(15, 11, 30), lunch, paris), utc(15, 13, 0));
        // 02:30 does not exist in Paris on 28 March: a window ending then ends at 03:00.
        let night = Some(QuietHours {
            from: hm(1, 0),
            to: hm(2, 30),
        });
        assert_eq!(quiet_end(utc(28, 0, 15), night, paris), utc(28, 1, 0));
    }

    #[test]
    fn steps_past_closing_are_dropped_and_stay_in_order() {
        let policy = ReminderPolicy {
            send_at: Some(hm(6, 0)),
            ..ReminderPolicy::default()
        };
        // A 1-hour offset placed at 06:00 the same day would precede the opening.
        let due = schedule(utc(10, 9, 0), utc(12, 0, 0), &[1, 24, 48], &policy, Tz::UTC);
        assert_eq!(due, [utc(10, 9, 0), utc(10, 9, 0), utc(11, 6, 0)]);
        assert_eq!(latest_due(&due, utc(10, 9, 0)), Some(1));
    }

    #[test]
    fn the_target_rate_counts_answerers_over_invitees() {
        let policy = ReminderPolicy {
            target_response_rate: Some(0.6),
            ..ReminderPolicy::default()
        };
        assert!(!policy.target_reached(59, 100));
        assert!(policy.target_reached(60, 100));
        assert!(!policy.target_reached(0, 0));
        assert!(!ReminderPolicy::default().target_reached(100, 100));
    }

    #[test]
    fn unknown_zones_and_unreadable_policies_fall_back_safely() {
        assert_eq!(zone("Mars/Olympus"), Tz::UTC);
        assert_eq!(
            ReminderPolicy::from_json(Some(&serde_json::json!({ "sendAt": 9 }))),
            ReminderPolicy::default()
        );
        let stored = serde_json::json!({ "sendAt": "09:00:00", "quiet": { "from": "20:00:00", "to": "08:00:00" }, "targetResponseRate": 0.8 });
        let read = ReminderPolicy::from_json(Some(&stored));
        assert_eq!(read.send_at, Some(hm(9, 0)));
        assert_eq!(serde_json::to_value(&read).unwrap(), stored);
        let escalating = serde_json::json!({ "sendAt": null, "quiet": null,
            "targetResponseRate": null, "escalateAfterHours": 72 });
        let read = ReminderPolicy::from_json(Some(&escalating));
        assert_eq!(read.escalate_after_hours, Some(72));
        assert_eq!(serde_json::to_value(&read).unwrap(), escalating);
    }
}
