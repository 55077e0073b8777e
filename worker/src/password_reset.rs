//! The email that brings a password reset link. The api records the
//! request and queues [`crate::Job::SendPasswordReset`]; this writes the
//! link from the request's nonce, so the token itself is stored nowhere.

use chrono::Utc;
use entities::{EmailStatus, membership, password_reset, person, user_account};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use tracing::instrument;

use crate::delivery::{Claimed, Sent, send_claimed};
use crate::jobs::{Context, JobError};
use crate::mail::Outgoing;
use crate::templates::{Lang, PasswordResetEmail};
use crate::tokens::password_reset_token;

/// The path of a reset link, under the public URL.
pub fn link_path(token: &str) -> String {
    format!("/reset-password/{token}")
}

/// What became of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Sent,
    /// Not sent: the address is suppressed, or the server refused it.
    NotSent,
    /// The address has no account, or the request is used or expired.
    NothingToSend,
}

/// Sends the link of request `reset_id` to its account, once: the email is
/// recorded under the request's key before it goes out.
#[instrument(skip_all, fields(reset_id))]
pub async fn send(ctx: &Context, reset_id: i64) -> Result<Outcome, JobError> {
    let Some(reset) = password_reset::Entity::find_by_id(reset_id)
        .one(&ctx.db)
        .await?
    else {
        return Ok(Outcome::NothingToSend);
    };
    let open = reset.used_at.is_none() && reset.expires_at > Utc::now();
    let Some(user_id) = reset.user_id.filter(|_| open) else {
        return Ok(Outcome::NothingToSend);
    };
    let Some(user) = user_account::Entity::find_by_id(user_id)
        .one(&ctx.db)
        .await?
    else {
        return Ok(Outcome::NothingToSend);
    };
    // Emails are logged and suppressed per organisation: the account's first.
    let Some(first) = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user.id))
        .order_by_asc(membership::Column::Id)
        .one(&ctx.db)
        .await?
    else {
        return Ok(Outcome::NothingToSend);
    };
    // The person the account is, if any, gives the language and time zone.
    let me = person::Entity::find()
        .filter(person::Column::UserId.eq(user.id))
        .one(&ctx.db)
        .await?;
    let (lang, zone) = me.map_or((Lang::En, "UTC".to_owned()), |p| {
        (Lang::of(&p.language), p.time_zone)
    });

    let token = password_reset_token(&ctx.tokens, &reset.nonce);
    let link = format!("{}{}", ctx.public_url, link_path(&token));
    let email = PasswordResetEmail {
        lang,
        name: &user.display_name,
        link: &link,
        expires_at: reset.expires_at,
        time_zone: &zone,
    }
    .render();
    let key = format!("password-reset:{}", reset.id);
    let claim = entities::email_message::ActiveModel {
        organisation_id: Set(first.organisation_id),
        key: Set(key.clone()),
        recipient: Set(user.email.clone()),
        subject: Set(email.subject.clone()),
        status: Set(EmailStatus::Pending),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    let mail = Outgoing {
        key,
        to_name: user.display_name.clone(),
        to_address: user.email.clone(),
        subject: email.subject,
        text: email.text,
        html: Some(email.html),
        unsubscribe_url: None,
    };
    let sent = send_claimed(ctx, first.organisation_id, Claimed { claim, mail }).await?;
    match sent {
        Sent::Sent | Sent::Elsewhere => Ok(Outcome::Sent),
        Sent::Failed | Sent::Suppressed => Ok(Outcome::NotSent),
        // No sweep comes back for it: the job is tried again instead.
        Sent::Deferred => Err(JobError::MailDeferred(format!("password reset {reset_id}"))),
    }
}
