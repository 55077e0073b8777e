//! GraphQL types of questionnaires, kept apart from the database models.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use entities::{item, questionnaire, scale};

use crate::loaders::{ItemsOf, ScalesOf};
use crate::state::ContextExt;

pub struct Questionnaire(pub questionnaire::Model);

/// A version of a questionnaire: its items and scales, frozen once a
/// campaign uses it.
#[Object]
impl Questionnaire {
    /// Global ID of this version; use with `node(id:)`.
    pub async fn id(&self) -> ID {
        super::global_id(self.0.id)
    }
    /// Stable key shared by all versions.
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// Version number under its key, from 1.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Title shown to respondents.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Text shown to respondents above the items; may be empty.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Who answers it.
    async fn audience(&self) -> Audience {
        self.0.audience.into()
    }
    /// Answered by its respondents, or by an interviewer for each interviewee.
    async fn mode(&self) -> QuestionnaireMode {
        self.0.mode.into()
    }
    /// Whether a campaign uses this version, which freezes it.
    async fn locked(&self) -> bool {
        self.0.locked_at.is_some()
    }
    /// Items in order.
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<Item>> {
        let items = ctx
            .loader()
            .load_one(ItemsOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(items.into_iter().map(Item).collect())
    }
    /// Its scales in the order given, each with its items' codes.
    async fn scales(&self, ctx: &Context<'_>) -> Result<Vec<Scale>> {
        let scales = ctx
            .loader()
            .load_one(ScalesOf(self.0.id))
            .await?
            .unwrap_or_default();
        let items = ctx
            .loader()
            .load_one(ItemsOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(scales
            .into_iter()
            .map(|s| Scale {
                item_codes: items
                    .iter()
                    .filter(|i| i.scale_id == Some(s.id))
                    .map(|i| i.code.clone())
                    .collect(),
                model: s,
            })
            .collect())
    }
}

pub struct Item(pub item::Model);

/// One question of a questionnaire.
#[Object]
impl Item {
    /// Global ID of the item; use with `node(id:)`.
    pub async fn id(&self) -> ID {
        crate::ids::encode("Item", self.0.id)
    }
    /// Code unique within the questionnaire, used in answers and imports.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// The question as respondents read it.
    async fn prompt(&self) -> &str {
        &self.0.prompt
    }
    /// The kind of answer it takes.
    async fn kind(&self) -> ItemKind {
        self.0.kind.into()
    }
    /// Number of points of a Likert item (answers 1..=points).
    async fn points(&self) -> Option<i32> {
        self.0.points
    }
    /// Anchor labels of a Likert item, or the options of a choice item.
    async fn labels(&self) -> Vec<String> {
        serde_json::from_value(self.0.labels.clone()).unwrap_or_default()
    }
    /// Scored as points + 1 − answer in its scale.
    async fn reverse_keyed(&self) -> bool {
        self.0.reverse_keyed
    }
    /// Smallest answer a NUMBER item accepts; null for no lower bound.
    async fn min(&self) -> Option<f64> {
        self.0.min_value
    }
    /// Largest answer a NUMBER item accepts; null for no upper bound.
    async fn max(&self) -> Option<f64> {
        self.0.max_value
    }
    /// Whether a submitted response must answer it; drafts may leave it
    /// out.
    async fn required(&self) -> bool {
        self.0.required
    }
}

/// Items scored together.
pub struct Scale {
    pub model: scale::Model,
    pub item_codes: Vec<String>,
}

/// Items of a questionnaire scored together: a respondent's score is the
/// mean of the items they answered, reverse-keyed items flipped.
#[Object]
impl Scale {
    /// Short code of the scale within its questionnaire.
    async fn code(&self) -> &str {
        &self.model.code
    }
    /// Name of the scale, as results show it.
    async fn name(&self) -> &str {
        &self.model.name
    }
    /// Codes of the items the scale scores, in the questionnaire's order.
    async fn item_codes(&self) -> &[String] {
        &self.item_codes
    }
    /// Whether a high score is the good end of the scale.
    async fn higher_is_better(&self) -> bool {
        self.model.higher_is_better
    }
}

/// Who answers a questionnaire.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Audience {
    /// The programme's learners.
    Learners,
    /// The programme's tutors and mentors.
    Tutors,
}

impl From<entities::Audience> for Audience {
    fn from(a: entities::Audience) -> Self {
        match a {
            entities::Audience::Learners => Self::Learners,
            entities::Audience::Tutors => Self::Tutors,
        }
    }
}

impl From<Audience> for entities::Audience {
    fn from(a: Audience) -> Self {
        match a {
            Audience::Learners => Self::Learners,
            Audience::Tutors => Self::Tutors,
        }
    }
}

/// Who answers a questionnaire's items.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum QuestionnaireMode {
    /// Sent to people who answer for themselves.
    #[default]
    Questionnaire,
    /// Answered by an interviewer (a coordinator or tutor) for each
    /// interviewee; its campaigns send no email.
    InterviewGuide,
}

impl From<entities::QuestionnaireMode> for QuestionnaireMode {
    fn from(m: entities::QuestionnaireMode) -> Self {
        match m {
            entities::QuestionnaireMode::Questionnaire => Self::Questionnaire,
            entities::QuestionnaireMode::InterviewGuide => Self::InterviewGuide,
        }
    }
}

impl From<QuestionnaireMode> for entities::QuestionnaireMode {
    fn from(m: QuestionnaireMode) -> Self {
        match m {
            QuestionnaireMode::Questionnaire => Self::Questionnaire,
            QuestionnaireMode::InterviewGuide => Self::InterviewGuide,
        }
    }
}

/// The kind of answer an item takes.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ItemKind {
    /// An integer from 1 to `points`.
    Likert,
    /// One of the item's labels.
    SingleChoice,
    /// Any number of the item's labels.
    MultipleChoice,
    /// A number between `min` and `max`.
    Number,
    /// Net promoter: an integer from 0 to 10.
    Nps,
    /// Text of up to 10,000 characters; a blank answer counts as missing.
    FreeText,
}

impl From<entities::ItemKind> for ItemKind {
    fn from(k: entities::ItemKind) -> Self {
        use entities::ItemKind as K;
        match k {
            K::Likert => Self::Likert,
            K::SingleChoice => Self::SingleChoice,
            K::MultipleChoice => Self::MultipleChoice,
            K::Number => Self::Number,
            K::Nps => Self::Nps,
            K::FreeText => Self::FreeText,
        }
    }
}

impl From<ItemKind> for entities::ItemKind {
    fn from(k: ItemKind) -> Self {
        match k {
            ItemKind::Likert => Self::Likert,
            ItemKind::SingleChoice => Self::SingleChoice,
            ItemKind::MultipleChoice => Self::MultipleChoice,
            ItemKind::Number => Self::Number,
            ItemKind::Nps => Self::Nps,
            ItemKind::FreeText => Self::FreeText,
        }
    }
}

/// An item of a new questionnaire.
#[derive(InputObject, Clone)]
pub struct ItemInput {
    /// Code unique within the questionnaire, 1 to 100 characters on one
    /// line; answers and imports name the item by it.
    pub code: String,
    /// The question, 1 to 2,000 characters on one line.
    pub prompt: String,
    /// The kind of answer it takes.
    pub kind: ItemKind,
    /// Required for Likert items: 2 to 11.
    pub points: Option<i32>,
    /// Likert anchors (one per point, optional) or choice options (required).
    #[graphql(default)]
    pub labels: Vec<String>,
    /// Score it as points + 1 − answer in its scale; Likert items only.
    #[graphql(default)]
    pub reverse_keyed: bool,
    /// Smallest answer of a NUMBER item; null for none. Not above `max`.
    pub min: Option<f64>,
    /// Largest answer of a NUMBER item; null for none.
    pub max: Option<f64>,
    /// Whether a submitted response must answer it.
    #[graphql(default)]
    pub required: bool,
    /// Code of the scale this item belongs to.
    pub scale: Option<String>,
}

/// A scale of a new questionnaire: the items naming its code are scored
/// together.
#[derive(InputObject, Clone)]
pub struct ScaleInput {
    /// Code unique within the questionnaire, 1 to 100 characters on one
    /// line; items give it as their `scale`.
    pub code: String,
    /// Name shown in results, 1 to 200 characters on one line.
    pub name: String,
    /// False for scales where a high score is the bad end (stress, anxiety).
    #[graphql(default = true)]
    pub higher_is_better: bool,
}

/// A new questionnaire, or the next version of one. Every problem is
/// reported at once as BAD_USER_INPUT, by its path in the input.
#[derive(InputObject)]
pub struct CreateQuestionnaireInput {
    /// Stable key; reusing one creates its next version.
    pub key: String,
    /// Title shown to respondents, 1 to 200 characters on one line.
    pub title: String,
    /// Text shown above the items, at most 10,000 characters.
    #[graphql(default)]
    pub description: String,
    /// Who answers it.
    pub audience: Audience,
    /// An interview guide is answered by an interviewer with `recordInterview`.
    #[graphql(default)]
    pub mode: QuestionnaireMode,
    /// The items in order: 1 to 1000, codes unique.
    pub items: Vec<ItemInput>,
    /// The scales items may belong to, codes unique.
    #[graphql(default)]
    pub scales: Vec<ScaleInput>,
}

/// The questionnaire created.
#[derive(SimpleObject)]
pub struct CreateQuestionnairePayload {
    /// The new version, not yet locked by a campaign.
    pub questionnaire: Questionnaire,
}

/// What an instrument template measures.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Construct {
    /// The quality of the tutoring relationship, from either side.
    RelationshipQuality,
    /// Career support, psychosocial support and role modelling by a mentor.
    MentoringFunctions,
    /// How useful one session was.
    SessionFeedback,
    /// Tutors' reaction to a training (Kirkpatrick level 1).
    TrainingReaction,
    /// Whether the programme would be recommended.
    NetPromoter,
}

impl From<super::templates::Construct> for Construct {
    fn from(c: super::templates::Construct) -> Self {
        use super::templates::Construct as C;
        match c {
            C::RelationshipQuality => Self::RelationshipQuality,
            C::MentoringFunctions => Self::MentoringFunctions,
            C::SessionFeedback => Self::SessionFeedback,
            C::TrainingReaction => Self::TrainingReaction,
            C::NetPromoter => Self::NetPromoter,
        }
    }
}

/// A ready questionnaire of the built-in library, in one language.
#[derive(SimpleObject)]
pub struct InstrumentTemplate {
    /// Stable key, given to `createQuestionnaireFromTemplate`.
    pub key: String,
    /// Name in the chosen language; the questionnaire's title by default.
    pub name: String,
    /// What it measures and for whom, in the chosen language.
    pub description: String,
    /// What the instrument measures.
    pub construct: Construct,
    /// Who answers it.
    pub audience: Audience,
    /// `en` or `fr`.
    pub language: String,
    /// Scales with their items and scoring keys.
    pub scales: Vec<InstrumentScale>,
    /// Every item in order, in a scale or not.
    pub items: Vec<InstrumentItem>,
}

/// A scale of a template.
#[derive(SimpleObject)]
pub struct InstrumentScale {
    /// Code shared by parallel instruments, such as `RQ`.
    pub code: String,
    /// Name in the template's language.
    pub name: String,
    /// Whether a high score is the good end of the scale.
    pub higher_is_better: bool,
    /// Its items, in order.
    pub items: Vec<InstrumentItem>,
}

/// An item of a template.
#[derive(SimpleObject, Clone)]
pub struct InstrumentItem {
    /// Code of the item, unique in the template.
    pub code: String,
    /// The question, in the template's language.
    pub prompt: String,
    /// The kind of answer it takes.
    pub kind: ItemKind,
    /// Points of a Likert item; null for other kinds.
    pub points: Option<i32>,
    /// Likert anchors, one per point, or the options of a choice item.
    pub labels: Vec<String>,
    /// Scored as points + 1 − answer in its scale.
    pub reverse_keyed: bool,
    /// Code of its scale, if it has one.
    pub scale: Option<String>,
}

impl InstrumentTemplate {
    pub fn new(t: &super::templates::Template, language: super::templates::Language) -> Self {
        let items: Vec<InstrumentItem> = t
            .items
            .iter()
            .map(|i| InstrumentItem {
                code: i.code.to_owned(),
                prompt: i.prompt.get(language).to_owned(),
                kind: i.kind.into(),
                points: i.points,
                labels: i
                    .labels
                    .iter()
                    .map(|l| l.get(language).to_owned())
                    .collect(),
                reverse_keyed: i.reverse_keyed,
                scale: i.scale.map(str::to_owned),
            })
            .collect();
        let scales = t
            .scales
            .iter()
            .map(|s| InstrumentScale {
                code: s.code.to_owned(),
                name: s.name.get(language).to_owned(),
                higher_is_better: s.higher_is_better,
                items: items
                    .iter()
                    .filter(|i| i.scale.as_deref() == Some(s.code))
                    .cloned()
                    .collect(),
            })
            .collect();
        Self {
            key: t.key.to_owned(),
            name: t.name.get(language).to_owned(),
            description: t.description.get(language).to_owned(),
            construct: t.construct.into(),
            audience: t.audience.into(),
            language: language.code().to_owned(),
            scales,
            items,
        }
    }
}

/// A questionnaire made from a template of the built-in library.
#[derive(InputObject)]
pub struct CreateQuestionnaireFromTemplateInput {
    /// The template's key, as `instrumentTemplates` lists it.
    pub key: String,
    /// `en` or `fr`.
    #[graphql(default_with = "String::from(\"en\")")]
    pub language: String,
    /// Title of the questionnaire; the template's name by default.
    pub name: Option<String>,
    /// Make it an interview guide rather than a questionnaire.
    #[graphql(default)]
    pub mode: QuestionnaireMode,
}
