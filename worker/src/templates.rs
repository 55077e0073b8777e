//! The wording of the emails sent to invitees: English or French after the
//! recipient's language, each as plain text and as HTML, with times shown in
//! the recipient's own time zone.

use chrono::{DateTime, Datelike, Utc};

use crate::report::escape;

/// The languages emails are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    /// French for `fr`, `fr-CA`, `fr_BE`…; English for anything else.
    pub fn of(tag: &str) -> Self {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("fr") {
            Self::Fr
        } else {
            Self::En
        }
    }
}

/// Which email of a campaign's schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Invitation,
    Reminder,
    /// The last reminder before closing.
    LastReminder,
}

/// An email about a campaign to one invitee.
pub struct CampaignEmail<'a> {
    pub lang: Lang,
    pub step: Step,
    pub name: &'a str,
    pub campaign: &'a str,
    pub closes_at: DateTime<Utc>,
    /// IANA name of the recipient's time zone; UTC when unknown.
    pub time_zone: &'a str,
    pub link: &'a str,
    pub unsubscribe: &'a str,
}

/// A rendered email.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl CampaignEmail<'_> {
    pub fn render(&self) -> Rendered {
        let w = Wording::of(self.lang, self.step);
        let closes = local_time(self.closes_at, self.time_zone, self.lang);
        let subject = format!("{}{}", w.subject, self.campaign);
        let text = format!(
            "{} {},\n\n{}\n\n{}\n{}\n\n{}\n\n{} {}\n",
            w.greeting,
            self.name,
            w.lead,
            w.ask(self.campaign, &closes),
            self.link,
            w.personal,
            w.stop,
            self.unsubscribe,
        );
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head>\
             <body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#1a1a1a;max-width:36em\">\n\
             <p>{greeting} {name},</p>\n<p>{lead}</p>\n<p>{ask}</p>\n\
             <p><a href=\"{link}\" style=\"display:inline-block;padding:.6em 1.2em;background:#1d4ed8;color:#fff;\
             border-radius:.3em;text-decoration:none;font-weight:600\">{button}</a></p>\n\
             <p style=\"font-size:.9em\">{personal}</p>\n\
             <p style=\"font-size:.85em;color:#555\"><a href=\"{unsubscribe}\" style=\"color:#555\">{stop_link}</a></p>\n\
             </body></html>\n",
            lang = match self.lang {
                Lang::En => "en",
                Lang::Fr => "fr",
            },
            title = escape(&subject),
            greeting = w.greeting,
            name = escape(self.name),
            lead = w.lead,
            ask = escape(&w.ask(self.campaign, &closes)),
            link = escape(self.link),
            button = w.button,
            personal = w.personal,
            unsubscribe = escape(self.unsubscribe),
            stop_link = w.stop_link,
        );
        Rendered {
            subject,
            text,
            html,
        }
    }
}

/// The fixed sentences of one email in one language.
struct Wording {
    lang: Lang,
    subject: &'static str,
    greeting: &'static str,
    lead: &'static str,
    button: &'static str,
    personal: &'static str,
    stop: &'static str,
    stop_link: &'static str,
}

impl Wording {
    fn of(lang: Lang, step: Step) -> Self {
        match lang {
            Lang::En => Self {
                lang,
                subject: match step {
                    Step::Invitation => "Your opinion counts: ",
                    Step::Reminder => "Reminder: ",
                    Step::LastReminder => "Last reminder: ",
                },
                greeting: "Hello",
                lead: match step {
                    Step::Invitation => {
                        "You are invited to take part in an evaluation of our tutorial programme."
                    }
                    Step::Reminder => "This is a reminder: we have not yet received your answers.",
                    Step::LastReminder => {
                        "This is the last reminder: the questionnaire closes soon and we have not yet received your answers."
                    }
                },
                button: "Answer the questionnaire",
                personal: "The link is personal: do not forward it.",
                stop: "No more reminders about this questionnaire:",
                stop_link: "No more reminders about this questionnaire",
            },
            Lang::Fr => Self {
                lang,
                subject: match step {
                    Step::Invitation => "Votre avis compte : ",
                    Step::Reminder => "Rappel : ",
                    Step::LastReminder => "Dernier rappel : ",
                },
                greeting: "Bonjour",
                lead: match step {
                    Step::Invitation => {
                        "Vous êtes invité·e à participer à l’évaluation de notre programme de tutorat."
                    }
                    Step::Reminder => {
                        "Ceci est un rappel : nous n’avons pas encore reçu vos réponses."
                    }
                    Step::LastReminder => {
                        "Ceci est le dernier rappel : le questionnaire ferme bientôt et nous n’avons pas encore reçu vos réponses."
                    }
                },
                button: "Répondre au questionnaire",
                personal: "Ce lien vous est personnel : ne le transférez pas.",
                stop: "Ne plus recevoir de relances pour ce questionnaire :",
                stop_link: "Ne plus recevoir de relances pour ce questionnaire",
            },
        }
    }

    fn ask(&self, campaign: &str, closes: &str) -> String {
        match self.lang {
            Lang::En => format!("Please answer the questionnaire \"{campaign}\" before {closes}:"),
            Lang::Fr => {
                format!("Merci de répondre au questionnaire « {campaign} » avant le {closes} :")
            }
        }
    }
}

/// The last step of a campaign's reminders: the invitees who have not
/// answered, sent to one tutor (their learners) or coordinator (learners
/// without a tutor).
pub struct Escalation<'a> {
    pub lang: Lang,
    pub name: &'a str,
    pub campaign: &'a str,
    pub closes_at: DateTime<Utc>,
    pub time_zone: &'a str,
    /// Whether the recipient is the learners' tutor, or a coordinator.
    pub as_tutor: bool,
    /// Names of the learners who have not answered.
    pub learners: &'a [String],
}

impl Escalation<'_> {
    pub fn render(&self) -> Rendered {
        let closes = local_time(self.closes_at, self.time_zone, self.lang);
        let n = self.learners.len();
        let (subject, greeting, lead, ask) = match (self.lang, self.as_tutor) {
            (Lang::En, true) => (
                format!("{}: {n} of your learners have not answered", self.campaign),
                "Hello",
                format!(
                    "These learners you support have not answered \"{}\" after every reminder:",
                    self.campaign
                ),
                format!(
                    "It closes on {closes}. A word from you may help; their answers stay anonymous in the results."
                ),
            ),
            (Lang::En, false) => (
                format!(
                    "{}: {n} learners without a tutor have not answered",
                    self.campaign
                ),
                "Hello",
                format!(
                    "These learners, who have no tutor to remind them, have not answered \"{}\" after every reminder:",
                    self.campaign
                ),
                format!("It closes on {closes}. Their answers stay anonymous in the results."),
            ),
            (Lang::Fr, true) => (
                format!(
                    "{} : {n} de vos apprenants n’ont pas répondu",
                    self.campaign
                ),
                "Bonjour",
                format!(
                    "Ces apprenants que vous accompagnez n’ont pas répondu à « {} » malgré les rappels :",
                    self.campaign
                ),
                format!(
                    "Clôture le {closes}. Un mot de votre part peut aider ; leurs réponses restent anonymes dans les résultats."
                ),
            ),
            (Lang::Fr, false) => (
                format!(
                    "{} : {n} apprenants sans tuteur n’ont pas répondu",
                    self.campaign
                ),
                "Bonjour",
                format!(
                    "Ces apprenants, sans tuteur pour le leur rappeler, n’ont pas répondu à « {} » malgré les rappels :",
                    self.campaign
                ),
                format!("Clôture le {closes}. Leurs réponses restent anonymes dans les résultats."),
            ),
        };
        let list: String = self.learners.iter().map(|l| format!("- {l}\n")).collect();
        let text = format!("{greeting} {},\n\n{lead}\n\n{list}\n{ask}\n", self.name);
        let items: String = self
            .learners
            .iter()
            .map(|l| format!("<li>{}</li>", escape(l)))
            .collect();
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#1a1a1a;max-width:36em\">\n\
             <p>{greeting} {name},</p>\n<p>{lead}</p>\n<ul>{items}</ul>\n<p>{ask}</p>\n</body></html>\n",
            lang = match self.lang {
                Lang::En => "en",
                Lang::Fr => "fr",
            },
            title = escape(&subject),
            name = escape(self.name),
            lead = escape(&lead),
            ask = escape(&ask),
        );
        Rendered {
            subject,
            text,
            html,
        }
    }
}

/// An email that brings one member of a dissemination plan's audience a
/// report, through a personal link that expires.
pub struct ReportLinkEmail<'a> {
    pub lang: Lang,
    pub name: &'a str,
    /// The report's title, e.g. "Autumn check-in, version 2".
    pub report: &'a str,
    pub link: &'a str,
    pub expires_at: DateTime<Utc>,
    /// IANA name of the recipient's time zone; UTC when unknown.
    pub time_zone: &'a str,
}

impl ReportLinkEmail<'_> {
    pub fn render(&self) -> Rendered {
        let until = local_time(self.expires_at, self.time_zone, self.lang);
        let (subject, greeting, lead, valid, button, personal) = match self.lang {
            Lang::En => (
                format!("Evaluation report: {}", self.report),
                "Hello",
                format!(
                    "The evaluation report \"{}\" of our tutorial programme is ready for you.",
                    self.report
                ),
                format!("Your link opens it until {until}:"),
                "Read the report",
                "The link is personal: do not forward it.",
            ),
            Lang::Fr => (
                format!("Rapport d’évaluation : {}", self.report),
                "Bonjour",
                format!(
                    "Le rapport d’évaluation « {} » de notre programme de tutorat est à votre disposition.",
                    self.report
                ),
                format!("Votre lien l’ouvre jusqu’au {until} :"),
                "Lire le rapport",
                "Ce lien vous est personnel : ne le transférez pas.",
            ),
        };
        let text = format!(
            "{greeting} {},\n\n{lead}\n\n{valid}\n{}\n\n{personal}\n",
            self.name, self.link
        );
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head>\
             <body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#1a1a1a;max-width:36em\">\n\
             <p>{greeting} {name},</p>\n<p>{lead}</p>\n<p>{valid}</p>\n\
             <p><a href=\"{link}\" style=\"display:inline-block;padding:.6em 1.2em;background:#1d4ed8;color:#fff;\
             border-radius:.3em;text-decoration:none;font-weight:600\">{button}</a></p>\n\
             <p style=\"font-size:.9em\">{personal}</p>\n</body></html>\n",
            lang = match self.lang {
                Lang::En => "en",
                Lang::Fr => "fr",
            },
            title = escape(&subject),
            name = escape(self.name),
            lead = escape(&lead),
            valid = escape(&valid),
            link = escape(self.link),
        );
        Rendered {
            subject,
            text,
            html,
        }
    }
}

/// The email with a password reset link.
pub struct PasswordResetEmail<'a> {
    pub lang: Lang,
    pub name: &'a str,
    pub link: &'a str,
    pub expires_at: DateTime<Utc>,
    /// IANA name of the recipient's time zone; UTC when unknown.
    pub time_zone: &'a str,
}

impl PasswordResetEmail<'_> {
    pub fn render(&self) -> Rendered {
        let until = local_time(self.expires_at, self.time_zone, self.lang);
        let (subject, greeting, lead, valid, button, ignore) = match self.lang {
            Lang::En => (
                "Reset your password".to_owned(),
                "Hello",
                "Someone, probably you, asked to reset the password of your account.",
                format!("This link sets a new one; it works once, until {until}:"),
                "Choose a new password",
                "If you did not ask for it, ignore this email: your password stays as it is.",
            ),
            Lang::Fr => (
                "Réinitialiser votre mot de passe".to_owned(),
                "Bonjour",
                "Quelqu’un, sans doute vous, a demandé à réinitialiser le mot de passe de votre compte.",
                format!(
                    "Ce lien permet d’en choisir un nouveau ; il sert une fois, jusqu’au {until} :"
                ),
                "Choisir un nouveau mot de passe",
                "Si vous n’avez rien demandé, ignorez ce message : votre mot de passe reste le même.",
            ),
        };
        let text = format!(
            "{greeting} {},\n\n{lead}\n\n{valid}\n{}\n\n{ignore}\n",
            self.name, self.link
        );
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head>\
             <body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#1a1a1a;max-width:36em\">\n\
             <p>{greeting} {name},</p>\n<p>{lead}</p>\n<p>{valid}</p>\n\
             <p><a href=\"{link}\" style=\"display:inline-block;padding:.6em 1.2em;background:#1d4ed8;color:#fff;\
             border-radius:.3em;text-decoration:none;font-weight:600\">{button}</a></p>\n\
             <p style=\"font-size:.9em\">{ignore}</p>\n</body></html>\n",
            lang = match self.lang {
                Lang::En => "en",
                Lang::Fr => "fr",
            },
            title = escape(&subject),
            name = escape(self.name),
            valid = escape(&valid),
            link = escape(self.link),
        );
        Rendered {
            subject,
            text,
            html,
        }
    }
}

/// `at` as read in `time_zone`, written out in `lang`, with the zone named:
/// "Friday 12 March 2027, 18:00 (Europe/Paris)". An unknown zone reads as UTC.
pub fn local_time(at: DateTime<Utc>, time_zone: &str, lang: Lang) -> String {
    let (local, zone) = match time_zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => (at.with_timezone(&tz).naive_local(), tz.name()),
        Err(_) => (at.naive_utc(), "UTC"),
    };
    let weekday = local.weekday().num_days_from_monday() as usize;
    let month = local.month0() as usize;
    let time = local.format("%H:%M");
    match lang {
        Lang::En => format!(
            "{} {} {} {}, {time} ({zone})",
            EN_DAYS[weekday],
            local.day(),
            EN_MONTHS[month],
            local.year()
        ),
        Lang::Fr => format!(
            "{} {} {} {} à {time} ({zone})",
            FR_DAYS[weekday],
            local.day(),
            FR_MONTHS[month],
            local.year()
        ),
    }
}

const EN_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const FR_DAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];
const FR_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn email(lang: Lang, step: Step) -> Rendered {
        CampaignEmail {
            lang,
            step,
            name: "Zoë <b>&amp;</b>",
            campaign: "Spring \"survey\" <2027>",
            closes_at: Utc.with_ymd_and_hms(2027, 3, 12, 17, 0, 0).unwrap(),
            time_zone: "Europe/Paris",
            link: "https://tutoring.example/respond/abc?x=1&y=2",
            unsubscribe: "https://tutoring.example/unsubscribe/1.mac",
        }
        .render()
    }

    #[test]
    fn the_language_follows_the_primary_subtag() {
        assert_eq!(Lang::of("fr"), Lang::Fr);
        assert_eq!(Lang::of("fr-CA"), Lang::Fr);
        assert_eq!(Lang::of("FR_be"), Lang::Fr);
        assert_eq!(Lang::of("en-GB"), Lang::En);
        assert_eq!(Lang::of("frr"), Lang::En);
        assert_eq!(Lang::of(""), Lang::En);
    }

    #[test]
    fn times_are_shown_in_the_recipients_zone_across_daylight_saving() {
        // Paris is UTC+1 in winter and UTC+2 from the last Sunday of March.
        let winter = Utc.with_ymd_and_hms(2027, 3, 12, 17, 0, 0).unwrap();
        let summer = Utc.with_ymd_and_hms(2027, 4, 2, 16, 0, 0).unwrap();
        assert_eq!(
            local_time(winter, "Europe/Paris", Lang::En),
            "Friday 12 March 2027, 18:00 (Europe/Paris)"
        );
        assert_eq!(
            local_time(summer, "Europe/Paris", Lang::Fr),
            "vendredi 2 avril 2027 à 18:00 (Europe/Paris)"
        );
        assert_eq!(
            local_time(winter, "America/Montreal", Lang::Fr),
            "vendredi 12 mars 2027 à 12:00 (America/Montreal)"
        );
        assert_eq!(
            local_time(winter, "Mars/Olympus", Lang::En),
            "Friday 12 March 2027, 17:00 (UTC)"
        );
    }

    #[test]
    fn both_parts_say_the_same_in_each_language() {
        let en = email(Lang::En, Step::Invitation);
        assert_eq!(en.subject, "Your opinion counts: Spring \"survey\" <2027>");
        assert!(en.text.starts_with("Hello Zoë <b>&amp;</b>,\n"));
        assert!(
            en.text
                .contains("before Friday 12 March 2027, 18:00 (Europe/Paris):")
        );
        assert!(
            en.text
                .contains("https://tutoring.example/respond/abc?x=1&y=2")
        );
        let fr = email(Lang::Fr, Step::LastReminder);
        assert_eq!(fr.subject, "Dernier rappel : Spring \"survey\" <2027>");
        assert!(fr.text.contains("avant le vendredi 12 mars 2027 à 18:00"));
        assert!(fr.html.contains("<html lang=\"fr\">"));
        assert!(fr.html.contains("Répondre au questionnaire"));
    }

    #[test]
    fn a_report_link_says_until_when_it_opens_in_the_readers_language() {
        let letter = |lang| ReportLinkEmail {
            lang,
            name: "Zoë <b>",
            report: "Spring \"survey\", version 2",
            link: "https://tutoring.example/reports/shared/abc?x=1&y=2",
            expires_at: Utc.with_ymd_and_hms(2027, 3, 12, 17, 0, 0).unwrap(),
            time_zone: "Europe/Paris",
        };

        let en = letter(Lang::En).render();
        let fr = letter(Lang::Fr).render();

        assert_eq!(
            en.subject,
            "Evaluation report: Spring \"survey\", version 2"
        );
        assert!(en.text.contains("until Friday 12 March 2027, 18:00 (Europe/Paris):\nhttps://tutoring.example/reports/shared/abc?x=1&y=2\n"));
        assert!(
            en.html
                .contains("href=\"https://tutoring.example/reports/shared/abc?x=1&amp;y=2\"")
        );
        assert!(en.html.contains("Hello Zoë &lt;b&gt;,") && !en.html.contains("<b>"));
        assert_eq!(
            fr.subject,
            "Rapport d’évaluation : Spring \"survey\", version 2"
        );
        assert!(
            fr.text
                .contains("jusqu’au vendredi 12 mars 2027 à 18:00 (Europe/Paris)")
        );
        assert!(fr.html.contains("<html lang=\"fr\">") && fr.html.contains("Lire le rapport"));
    }

    #[test]
    fn the_html_part_escapes_names_and_links() {
        let html = email(Lang::En, Step::Reminder).html;
        assert!(html.contains("Hello Zoë &lt;b&gt;&amp;amp;&lt;/b&gt;,"));
        assert!(html.contains("&quot;survey&quot; &lt;2027&gt;"));
        assert!(html.contains("href=\"https://tutoring.example/respond/abc?x=1&amp;y=2\""));
        assert!(!html.contains("<b>"));
    }
}
