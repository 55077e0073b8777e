//! Database entities of the tutorial-system backend.

pub mod access_token;
pub mod answer;
pub mod campaign;
pub mod campaign_result;
pub mod community;
pub mod community_member;
pub mod community_post;
pub mod community_resource;
pub mod email_message;
pub mod enums;
pub mod guide_version;
pub mod intervention;
pub mod invitation;
pub mod item;
pub mod job_run;
pub mod membership;
pub mod need;
pub mod need_rule;
pub mod organisation;
pub mod person;
pub mod programme;
pub mod questionnaire;
pub mod report;
pub mod response;
pub mod scale;
pub mod session_participant;
pub mod standard;
pub mod support_axis;
pub mod training_completion;
pub mod training_module;
pub mod tutor_role;
pub mod tutoring_session;
pub mod user_account;

pub use enums::*;
