//! Who may run what: every root field of the schema, run by every kind of
//! caller, against the outcome the design gives. A root field without an
//! entry fails the test, so a new field cannot ship without its rule.
//!
//! The callers: an admin, a coordinator, a tutor matched to one learner, a
//! mentor (a tutor member too, in a mentor role) matched to another, that
//! first learner, an observer, an admin of another organisation, an API
//! key that reads and writes, no one, and a key that only reads. Beside the
//! code of each answer, every answer allowed is searched for the ids its
//! caller must never see: the other relation's learner and matching for a
//! tutor, a mentor or a learner; any person or relation for an observer;
//! anything at all of the first organisation for the other one.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, Utc};
use entities::Role;
use reqwest::multipart::{Form, Part};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use tests::TestApp;

use crate::fixtures::{self, CampaignSpec};

/// The callers, in the order of each entry's expectations; the last one's
/// follow from the API key's (see [`expected`]).
const CALLERS: [&str; 10] = [
    "admin",
    "coordinator",
    "tutor",
    "mentor",
    "learner",
    "observer",
    "other-org admin",
    "api key",
    "anonymous",
    "read-only api key",
];
const ADMIN: usize = 0;
const TUTOR: usize = 2;
const MENTOR: usize = 3;
const LEARNER: usize = 4;
const OBSERVER: usize = 5;
const KEY: usize = 7;
const READ_ONLY_KEY: usize = 9;
const OTHER: usize = 6;

/// What the fixture made: ids by name, tokens by caller, and the values
/// some entries need one of per caller.
struct Fx {
    ids: BTreeMap<&'static str, String>,
    tokens: Vec<Option<String>>,
    /// Second sessions of the members, for the entries that end one.
    spare: Vec<Option<String>>,
    per_caller: BTreeMap<&'static str, Vec<String>>,
    /// Ids each caller must never find in an answer.
    hidden: Vec<BTreeSet<String>>,
}

impl Fx {
    fn id(&self, name: &str) -> &str {
        self.ids
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no fixture id {name}"))
    }

    fn per(&self, name: &str, caller: usize) -> &str {
        &self.per_caller[name][caller]
    }
}

/// One root field's operation and the outcome for each caller, one letter
/// each in [`CALLERS`] order but the last:
/// `A` data and no error; `C` data, or CONFLICT once an earlier caller
/// did what only one may; `F` FORBIDDEN; `U` UNAUTHENTICATED; `N`
/// NOT_FOUND; `T` INVALID_TOKEN; `B` BAD_USER_INPUT (an id of another
/// organisation named in an input, refused as an unknown one is); `0`
/// data, with the field null.
struct Entry {
    field: &'static str,
    operation: &'static str,
    vars: fn(&Fx, usize) -> Value,
    expect: &'static str,
    /// Entries run by phase: those that end sessions or runs come last.
    phase: u8,
    /// Ids the answer must hold, by caller: the rows the caller may see.
    shows: Option<fn(&Fx, usize) -> Vec<String>>,
    /// Sends the file of an import as a multipart request.
    upload: Option<&'static str>,
    /// Runs with the caller's spare session.
    spare: bool,
}

fn e(
    field: &'static str,
    operation: &'static str,
    expect: &'static str,
    vars: fn(&Fx, usize) -> Value,
) -> Entry {
    Entry {
        field,
        operation,
        vars,
        expect,
        phase: 0,
        shows: None,
        upload: None,
        spare: false,
    }
}

impl Entry {
    fn phase(mut self, phase: u8) -> Self {
        self.phase = phase;
        self
    }

    fn shows(mut self, shows: fn(&Fx, usize) -> Vec<String>) -> Self {
        self.shows = Some(shows);
        self
    }

    fn upload(mut self, csv: &'static str) -> Self {
        self.upload = Some(csv);
        self
    }

    fn spare(mut self) -> Self {
        self.spare = true;
        self
    }
}

fn none(_: &Fx, _: usize) -> Value {
    json!({})
}

fn programme(fx: &Fx, _: usize) -> Value {
    json!({ "p": fx.id("programme") })
}

fn input(value: Value) -> Value {
    json!({ "i": value })
}

fn id_at(value: &Value, path: &[&str]) -> String {
    let mut v = value;
    for key in path {
        v = match key.parse::<usize>() {
            Ok(n) => &v[n],
            Err(_) => &v[*key],
        };
    }
    v.as_str()
        .unwrap_or_else(|| panic!("no id at {path:?} in {value}"))
        .to_owned()
}

fn entries() -> Vec<Entry> {
    vec![
        // Queries.
        e("node", "query($id: ID!) { node(id: $id) { id ... on Matching { status } } }", "AAA0AF0AU",
            |fx, _| json!({ "id": fx.id("matching") })),
        e("node", "query($id: ID!) { node(id: $id) { id ... on Person { name } } }", "AAFFFF0AU",
            |fx, _| json!({ "id": fx.id("l1") })),
        e("node", "query($id: ID!) { node(id: $id) { id ... on Campaign { name } } }", "AAFFFA0AU",
            |fx, _| json!({ "id": fx.id("campaign") })),
        e("node", "query($id: ID!) { node(id: $id) { id ... on Programme { name } } }", "AAAAAA0AU",
            |fx, _| json!({ "id": fx.id("programme") })),
        e("viewer", "{ viewer { email role } }", "AAAAAAAFU", none),
        e("people", "{ people(first: 50) { nodes { id name } } }", "AAFFFFAAU", none),
        e("apiKeys", "{ apiKeys(first: 50) { nodes { id name } } }", "AFFFFFAFU", none),
        e("questionnaires", "{ questionnaires(first: 50) { nodes { id title } } }", "AAFFFAAAU", none),
        e("campaigns", "{ campaigns(first: 50) { nodes { invitations(first: 5) { nodes { person { id name } } } } } }", "AAFFFFAAU", none),
        e("campaigns", "{ campaigns(first: 50) { nodes { emails(first: 5) { nodes { recipient } } } } }", "AAFFFFAAU", none),
        e("campaigns", "{ campaigns(first: 50) { nodes { interviews(first: 5) { nodes { notes interviewee { id } } } } } }", "AAFFFFAAU", none),
        e("campaigns", "{ campaigns(first: 50) { nodes { results { responses } reports(first: 1) { nodes { id results { responses } } } } } }", "AAFFFAAAU", none),
        e("campaigns", "{ campaigns(first: 50) { nodes { reports(first: 1) { nodes { shares { id } } } } } }", "AAFFFFAAU", none),
        e("node", "query($id: ID!) { node(id: $id) { id ... on Interview { notes interviewee { id } } } }", "AA00FF0AU",
            |fx, _| json!({ "id": fx.id("interview") })),
        e("node", "query($id: ID!) { node(id: $id) { id ... on Report { version } } }", "AAFFFA0AU",
            |fx, _| json!({ "id": fx.id("report") })),
        e("node", "query($id: ID!) { node(id: $id) { id ... on Questionnaire { title } } }", "AAFFFA0AU",
            |fx, _| json!({ "id": fx.id("questionnaire") })),
        e("node", "query($id: ID!) { node(id: $id) { id ... on Item { code } } }", "AAFFFA0AU",
            |fx, _| json!({ "id": fx.id("item") })),
        e("node", "query($id: ID!) { node(id: $id) { id ... on Invitation { person { id } } } }", "AAFFFF0AU",
            |fx, _| json!({ "id": fx.id("invitation") })),
        e("node", "query($id: ID!) { node(id: $id) { id ... on DisseminationPlan { name } } }", "AAFFFF0AU",
            |fx, _| json!({ "id": fx.id("plan-send") })),
        e("node", "query($id: ID!) { node(id: $id) { id ... on WebhookEndpoint { url } } }", "AAFFFF0AU",
            |fx, _| json!({ "id": fx.id("endpoint") })),
        e("instrumentTemplates", "{ instrumentTemplates { key } }", "AAFFFAAAU", none),
        e("campaigns", "{ campaigns(first: 50) { nodes { id name } } }", "AAFFFAAAU", none),
        e("respondentForm", "query($t: String!) { respondentForm(token: $t) { campaignName } }", "AAAAAAAAA",
            |fx, _| json!({ "t": fx.id("invitation-token") })),
        e("suppressions", "{ suppressions(first: 50) { nodes { address } } }", "AAFFFFAAU", none),
        e("deadLetters", "{ deadLetters(first: 50) { nodes { id kind } } }", "AFFFFFAFU", none),
        e("tutorialGuide", "query($p: ID!) { tutorialGuide(programmeId: $p) { current { version } } }", "AAAAAANAU", programme),
        e("programmes", "{ programmes(first: 50) { nodes { id name } } }", "AAAAAAAAU", none)
            .shows(|fx, c| if c == OTHER { vec![] } else { vec![fx.id("programme").into()] }),
        // A programme's personal and financial fields check roles of their own.
        e("programmes", "{ programmes(first: 5) { nodes { needs(first: 50) { nodes { id learner { id } } } } } }", "AAFFFFAAU", none),
        e("programmes", "{ programmes(first: 5) { nodes { tutorDevelopment { tutor { id } trainingHours } } } }", "AAFFFFAAU", none),
        e("programmes", "{ programmes(first: 5) { nodes { communities { name resources { title } } } } }", "AAFFFAAAU", none),
        // Regression: observers read who belonged to a community, and its thread.
        e("programmes", "{ programmes(first: 5) { nodes { communities { members { id } } } } }", "AAFFFFAAU", none),
        e("programmes", "{ programmes(first: 5) { nodes { communities { posts(first: 5) { nodes { author } } } } } }", "AAFFFFAAU", none),
        e("programmes", "{ programmes(first: 5) { nodes { trainingModules { completions { tutor { id } } } } } }", "AAFFFFAAU", none),
        e("programmes", "{ programmes(first: 5) { nodes { costs { budget budgetConsumed } } } }", "AAFFFAAAU", none),
        // Regression: tutors and learners read the programme's money.
        e("programmes", "{ programmes(first: 5) { nodes { budget currency } } }", "AAFFFAAAU", none),
        e("programmes", "{ programmes(first: 5) { nodes { roles { name hourlyCost } } } }", "AAFFFAAAU", none),
        e("programmes", "{ programmes(first: 5) { nodes { interventions { name sessionCost } } } }", "AAFFFAAAU", none),
        e("programmes", "{ programmes(first: 5) { nodes { roles { name } interventions { name axis { name } role { name } } axes { name } } } }", "AAAAAAAAU", none),
        e("node", "query($p: ID!, $a: ID!) { node(id: $p) { ... on Programme { costScenario(axisId: $a, extraLearners: 3) { total } } } }", "AAFFFA0AU",
            |fx, _| json!({ "p": fx.id("programme"), "a": fx.id("axis") })),
        e("node", "query($p: ID!) { node(id: $p) { ... on Programme { priorities { population axes { learnersWithNeed } } } } }", "AAFFFA0AU", |fx, _| json!({ "p": fx.id("programme") })),
        e("programmes", "{ programmes(first: 5) { nodes { costs { actual { byLearner { id name } } planned { byLearner { id } } } } } }", "AAFFFAAAU", none),
        e("programmes", "{ programmes(first: 5) { nodes { needRules { id } priorities { axes { axis { id } } } } } }", "AAFFFAAAU", none),
        e("myDevelopment", "query($p: ID!) { myDevelopment(programmeId: $p) { tutor { id } trainingHours } }", "FFA00FFFU", programme),
        e("myCommunities", "{ myCommunities { id name members { id } posts(first: 5) { nodes { author } } } }", "AAAAAAAFU", none)
            .shows(|fx, c| if c == TUTOR { vec![fx.id("community").into(), fx.id("t1").into()] } else { vec![] }),
        e("tutorProfiles", "query($p: ID!) { tutorProfiles(programmeId: $p, first: 50) { nodes { tutor { id } } } }", "AAFFFFNAU", programme),
        e("matchings", "query($p: ID!) { matchings(programmeId: $p, first: 50) { nodes { id learner { id } tutor { id } } } }", "AAAAAFNAU", programme)
            .shows(|fx, c| match c {
                TUTOR | LEARNER => vec![fx.id("matching").into(), fx.id("l1").into()],
                MENTOR => vec![fx.id("matching2").into(), fx.id("l2").into()],
                _ => vec![fx.id("matching").into(), fx.id("matching2").into()],
            }),
        e("matching", "query($id: ID!) { matching(id: $id) { id learner { id } tutor { id } sessions { id } plan { goals { id } } } }", "AAANAFNAU",
            |fx, _| json!({ "id": fx.id("matching") })),
        e("matchingRun", "query($id: ID!) { matchingRun(id: $id) { id proposed } }", "AAFFFFNAU",
            |fx, _| json!({ "id": fx.id("run") })),
        e("matchingCandidates", "query($p: ID!, $r: ID!, $l: ID!) { matchingCandidates(programmeId: $p, roleId: $r, learnerId: $l) { tutor { id } eligible } }", "AAFFFFNAU",
            |fx, _| json!({ "p": fx.id("programme"), "r": fx.id("role"), "l": fx.id("l3") })),
        e("relationAlerts", "query($p: ID!) { relationAlerts(programmeId: $p, first: 50) { nodes { id } } }", "AAFFFFNAU", programme),
        e("matchingExclusions", "query($p: ID!) { matchingExclusions(programmeId: $p, first: 50) { nodes { reason } } }", "AAFFFFNAU", programme),
        e("myCalendarPath", "{ myCalendarPath }", "NNAAANNFU", none),
        e("analyticalGrids", "{ analyticalGrids { id name } }", "AAFFFAAAU", none),
        e("programmeReports", "query($p: ID!) { programmeReports(programmeId: $p, first: 5) { nodes { id } } }", "AAFFFANAU", programme),
        e("disseminationPlans", "{ disseminationPlans(first: 50) { nodes { id } } }", "AAFFFFAAU", none),
        e("webhookEventTypes", "{ webhookEventTypes }", "AAFFFFAAU", none),
        e("webhookEndpoints", "{ webhookEndpoints(first: 50) { nodes { id } } }", "AAFFFFAAU", none),
        e("webhookDeliveries", "query($id: ID!) { webhookDeliveries(endpointId: $id, first: 50) { nodes { id } } }", "AAFFFFNAU",
            |fx, _| json!({ "id": fx.id("endpoint") })),

        // Signing in and out, and keys.
        e("signIn", "mutation($i: SignInInput!) { signIn(input: $i) { expiresAt } }", "AAAAAAAAA",
            |_, _| input(json!({ "email": "spare@alpha.test", "password": tests::PASSWORD }))),
        e("refreshSession", "mutation($i: RefreshSessionInput!) { refreshSession(input: $i) { expiresAt } }", "AAAAAAAAA",
            |fx, c| input(json!({ "refreshToken": fx.per("refresh", c) }))),
        e("signOut", "mutation { signOut { sessionsEnded } }", "AAAAAAAFU", none).spare().phase(3),
        e("signOutEverywhere", "mutation { signOutEverywhere { sessionsEnded } }", "AAAAAAAFU", none).phase(4),
        e("requestPasswordReset", "mutation($i: RequestPasswordResetInput!) { requestPasswordReset(input: $i) { accepted } }", "AAAAAAAAA",
            |_, c| input(json!({ "email": format!("nobody{c}@alpha.test") }))),
        e("resetPassword", "mutation($i: ResetPasswordInput!) { resetPassword(input: $i) { email } }", "TTTTTTTTT",
            |_, _| input(json!({ "token": "not-a-reset-token", "newPassword": "a long new password" }))),
        e("createApiKey", "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } } }", "AFFFFFAFU",
            |_, _| input(json!({ "name": "CRM", "scopes": ["READ"] }))),
        e("revokeApiKey", "mutation($i: RevokeApiKeyInput!) { revokeApiKey(input: $i) { apiKey { id } } }", "AFFFFFNFU",
            |fx, _| input(json!({ "id": fx.id("spare-key") }))),

        // Personal data: admins of the person's own organisation only.
        e("exportPersonData", "mutation($i: PersonRightsInput!) { exportPersonData(input: $i) { downloadPath } }", "AFFFFFNFU",
            |fx, _| input(json!({ "personId": fx.id("l1") }))),
        e("erasePerson", "mutation($i: PersonRightsInput!) { erasePerson(input: $i) { erased } }", "AFFFFFNFU",
            |fx, _| input(json!({ "personId": fx.id("erasable") }))).phase(1),
        e("setRetentionPolicy", "mutation($i: SetRetentionPolicyInput!) { setRetentionPolicy(input: $i) { retentionPolicy { freeTextDays } } }", "AFFFFFAFU",
            |_, _| input(json!({ "freeTextDays": 365, "emailLogDays": 730, "auditDays": 1825 }))),
        e("retentionPolicy", "{ retentionPolicy { freeTextDays emailLogDays auditDays } }", "AFFFFFAFU", none),
        e("auditLog", "{ auditLog(first: 50) { nodes { id action targetKind } } }", "AFFFFFAFU", none),

        // People and members.
        e("createPeople", "mutation($i: CreatePeopleInput!) { createPeople(input: $i) { people { id } } }", "AAFFFFAAU",
            |_, _| input(json!({ "people": [{ "name": "New", "kind": "LEARNER" }] }))),
        e("addMember", "mutation($i: AddMemberInput!) { addMember(input: $i) { email } }", "AFFFFFAFU",
            |_, c| input(json!({ "email": format!("new{c}@alpha.test"), "displayName": "New", "role": "LEARNER", "password": tests::PASSWORD }))),

        // Questionnaires and campaigns.
        e("createQuestionnaire", "mutation($i: CreateQuestionnaireInput!) { createQuestionnaire(input: $i) { questionnaire { id } } }", "AAFFFFAAU",
            |_, _| input(json!({ "key": "pulse", "title": "Pulse", "audience": "LEARNERS",
                "items": [{ "code": "q1", "prompt": "Fine?", "kind": "LIKERT", "points": 5 }] }))),
        e("createQuestionnaireFromTemplate", "mutation($i: CreateQuestionnaireFromTemplateInput!) { createQuestionnaireFromTemplate(input: $i) { questionnaire { id } } }", "AAFFFFAAU",
            |_, _| input(json!({ "key": "relationship-learner" }))),
        e("createCampaign", "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { campaign { id } } }", "AAFFFFNAU",
            |fx, _| input(json!({ "questionnaireId": fx.id("questionnaire"), "name": "More",
                "opensAt": (Utc::now() + Duration::days(1)).to_rfc3339(), "closesAt": (Utc::now() + Duration::days(9)).to_rfc3339() }))),
        e("inviteToCampaign", "mutation($i: InviteInput!) { inviteToCampaign(input: $i) { invited } }", "AAFFFFNAU",
            |fx, _| input(json!({ "campaignId": fx.id("draft"), "personIds": [fx.id("l1")] }))),
        e("launchCampaign", "mutation($i: CampaignInput!) { launchCampaign(input: $i) { campaign { status } } }", "ACFFFFNCU",
            |fx, _| input(json!({ "campaignId": fx.id("to-launch") }))).phase(1),
        e("closeCampaign", "mutation($i: CampaignInput!) { closeCampaign(input: $i) { campaign { status } } }", "ACFFFFNCU",
            |fx, _| input(json!({ "campaignId": fx.id("to-close") }))).phase(1),
        e("setCampaignAnonymity", "mutation($i: SetCampaignAnonymityInput!) { setCampaignAnonymity(input: $i) { campaign { anonymity } } }", "AAFFFFNAU",
            |fx, _| input(json!({ "campaignId": fx.id("draft"), "anonymity": "ANONYMOUS" }))),
        e("submitResponse", "mutation($i: SubmitResponseInput!) { submitResponse(input: $i) { accepted } }", "AAAAAAAAA",
            |fx, _| input(json!({ "token": fx.id("invitation-token"), "answers": fixtures::answers(4.0) }))).phase(1),
        e("saveResponseDraft", "mutation($i: SaveResponseDraftInput!) { saveResponseDraft(input: $i) { savedAt } }", "AAAAAAAAA",
            |fx, _| input(json!({ "token": fx.id("invitation-token"), "answers": [{ "item": "s1", "number": 3 }] }))),
        e("recordInterview", "mutation($i: RecordInterviewInput!) { recordInterview(input: $i) { interview { id } } }", "AAAAFFNAU",
            |fx, c| input(json!({ "campaignId": fx.id("guide-campaign"), "intervieweeId": fx.per("interviewee", c),
                "answers": [{ "item": "rq1", "number": 4 }] }))),
        e("editInterview", "mutation($i: EditInterviewInput!) { editInterview(input: $i) { interview { id } } }", "AAFFFFNAU",
            |fx, _| input(json!({ "interviewId": fx.id("interview"), "answers": [{ "item": "rq1", "number": 3 }] }))),
        e("shareReport", "mutation($i: ShareReportInput!) { shareReport(input: $i) { share { id } } }", "AAFFFFNAU",
            |fx, _| input(json!({ "reportId": fx.id("report"), "audience": "Board", "expiresAt": (Utc::now() + Duration::days(3)).to_rfc3339() }))),
        e("revokeReportShare", "mutation($i: RevokeReportShareInput!) { revokeReportShare(input: $i) { share { id } } }", "ACFFFFNCU",
            |fx, _| input(json!({ "shareId": fx.id("share") }))).phase(1),
        e("importResponses", "", "AAFFFFNAU",
            |fx, _| input(json!({ "campaignId": fx.id("campaign"), "file": null,
                "columns": [{ "column": "a", "item": "s1" }, { "column": "b", "item": "s2" }] })))
            .upload("a,b\n4,2\n"),
        e("aggregateCampaign", "mutation($i: CampaignInput!) { aggregateCampaign(input: $i) { campaign { id } } }", "AAFFFFNAU",
            |fx, _| input(json!({ "campaignId": fx.id("campaign") }))),
        e("generateReport", "mutation($i: CampaignInput!) { generateReport(input: $i) { campaign { id } } }", "AAFFFFNAU",
            |fx, _| input(json!({ "campaignId": fx.id("campaign") }))),
        e("suppressAddress", "mutation($i: SuppressAddressInput!) { suppressAddress(input: $i) { suppression { address } } }", "AAFFFFAAU",
            |_, _| input(json!({ "address": "gone@else.test", "reason": "OPT_OUT" }))),
        e("liftSuppression", "mutation($i: LiftSuppressionInput!) { liftSuppression(input: $i) { lifted } }", "AAFFFFAAU",
            |fx, c| input(json!({ "address": fx.per("suppressed", c) }))),
        e("retryDeadLetter", "mutation($id: ID!) { retryDeadLetter(id: $id) { deadLetter { id } } }", "AFFFFFNFU",
            |fx, c| json!({ "id": fx.per("dead-letter", c) })),

        // Designing a programme.
        e("createProgramme", "mutation($i: CreateProgrammeInput!) { createProgramme(input: $i) { programme { id } } }", "AAFFFFAAU",
            |_, _| input(json!({ "name": "Q", "startsOn": "2026-09-01", "endsOn": "2027-06-30", "budget": 0, "currency": "EUR" }))),
        e("createSupportAxis", "mutation($i: CreateSupportAxisInput!) { createSupportAxis(input: $i) { axis { id } } }", "AAFFFFNAU",
            |fx, c| input(json!({ "programmeId": fx.id("programme"), "name": format!("Axis {c}"), "kind": "SUBJECT", "weight": 1 }))),
        e("setSupportAxisWeight", "mutation($i: SetAxisWeightInput!) { setSupportAxisWeight(input: $i) { axis { id } } }", "AAFFFFNAU",
            |fx, _| input(json!({ "axisId": fx.id("axis"), "weight": 2 }))),
        e("createNeed", "mutation($i: CreateNeedInput!) { createNeed(input: $i) { need { id } } }", "ACFFFFNCU",
            |fx, _| input(json!({ "axisId": fx.id("axis"), "learnerId": fx.id("l5"), "severity": 2, "source": "COORDINATOR" }))),
        e("stateNeed", "mutation($i: StateNeedInput!) { stateNeed(input: $i) { need { id } } }", "FFFFAFFFU",
            |fx, _| input(json!({ "axisId": fx.id("axis"), "severity": 3 }))),
        e("updateNeed", "mutation($i: UpdateNeedInput!) { updateNeed(input: $i) { need { id } } }", "AAFFFFNAU",
            |fx, _| input(json!({ "needId": fx.id("need"), "severity": 4 }))),
        e("createNeedRule", "mutation($i: CreateNeedRuleInput!) { createNeedRule(input: $i) { rule { id } } }", "ACFFFFNCU",
            |fx, _| input(json!({ "axisId": fx.id("axis-rule"), "campaignId": fx.id("campaign"), "scaleCode": "S", "direction": "BELOW", "threshold": 2 }))),
        e("applyNeedRule", "mutation($i: ApplyNeedRuleInput!) { applyNeedRule(input: $i) { assessed } }", "AAFFFFNAU",
            |fx, _| input(json!({ "ruleId": fx.id("need-rule") }))),
        e("logSession", "mutation($i: LogSessionInput!) { logSession(input: $i) { sessionId } }", "AAFFFFNAU",
            |fx, _| input(json!({ "interventionId": fx.id("intervention"), "tutorId": fx.id("t1"), "heldAt": Utc::now().to_rfc3339(),
                "minutes": 30, "participants": [{ "learnerId": fx.id("l1") }] }))),
        e("createTutorRole", "mutation($i: CreateTutorRoleInput!) { createTutorRole(input: $i) { role { id } } }", "AAFFFFNAU",
            |fx, c| input(json!({ "programmeId": fx.id("programme"), "name": format!("Role {c}"), "kind": "PEER_TUTOR", "functions": ["Help"], "hourlyCost": 10 }))),
        e("publishGuide", "mutation($i: PublishGuideInput!) { publishGuide(input: $i) { guide { version } } }", "AAFFFFNAU",
            |fx, _| input(json!({ "programmeId": fx.id("programme"), "body": "Meet every fortnight." }))),
        e("setStandard", "mutation($i: SetStandardInput!) { setStandard(input: $i) { standard { kind } } }", "AAFFFFNAU",
            |fx, _| input(json!({ "programmeId": fx.id("programme"), "kind": "SESSION_INTERVAL_DAYS", "threshold": 30, "severity": "LOW" }))),
        e("createIntervention", "mutation($i: CreateInterventionInput!) { createIntervention(input: $i) { intervention { id } } }", "AAFFFFNAU",
            |fx, _| input(json!({ "axisId": fx.id("axis"), "name": "Group work", "format": "GROUP", "tool": "IN_PERSON",
                "sessionsPerMonth": 1, "sessionMinutes": 60, "groupSize": 4, "sessionCost": 20 }))),
        e("createTrainingModule", "mutation($i: CreateTrainingModuleInput!) { createTrainingModule(input: $i) { module { id } } }", "AAFFFFNAU",
            |fx, _| input(json!({ "programmeId": fx.id("programme"), "title": "Listening", "hours": 2, "level": "BASIC" }))),
        e("recordCompletion", "mutation($i: RecordCompletionInput!) { recordCompletion(input: $i) { module { id } } }", "ACFFFFNCU",
            |fx, _| input(json!({ "moduleId": fx.id("module"), "tutorId": fx.id("t1"), "completedOn": "2026-10-01" }))),
        e("createCommunity", "mutation($i: CreateCommunityInput!) { createCommunity(input: $i) { community { id } } }", "AAFFFFNAU",
            |fx, c| input(json!({ "programmeId": fx.id("programme"), "name": format!("Circle {c}") }))),
        e("addCommunityMember", "mutation($i: CommunityMemberInput!) { addCommunityMember(input: $i) { community { id } } }", "ACFFFFNCU",
            |fx, _| input(json!({ "communityId": fx.id("community"), "tutorId": fx.id("t3") }))),
        e("addCommunityResource", "mutation($i: CommunityResourceInput!) { addCommunityResource(input: $i) { community { id } } }", "AAFFFFNAU",
            |fx, _| input(json!({ "communityId": fx.id("community"), "title": "Guide", "url": "https://example.org/guide" }))),
        e("postToCommunity", "mutation($i: PostInput!) { postToCommunity(input: $i) { post { body } } }", "AAAFFFNAU",
            |fx, _| input(json!({ "communityId": fx.id("community"), "body": "Hello" }))),

        // Running it.
        e("setTutorProfile", "mutation($i: SetTutorProfileInput!) { setTutorProfile(input: $i) { capacity } }", "AAAFFFNAU",
            |fx, _| input(json!({ "programmeId": fx.id("programme"), "tutorId": fx.id("t1"), "roleIds": [fx.id("role")], "capacity": 5, "languages": ["en"] }))),
        e("setLearnerProfile", "mutation($i: SetLearnerProfileInput!) { setLearnerProfile(input: $i) { languages } }", "AAFFAFNAU",
            |fx, _| input(json!({ "programmeId": fx.id("programme"), "learnerId": fx.id("l1"), "languages": ["en"] }))),
        e("excludePair", "mutation($i: PairInput!) { excludePair(input: $i) }", "ACFFFFNCU",
            |fx, _| input(json!({ "programmeId": fx.id("programme"), "learnerId": fx.id("l4"), "tutorId": fx.id("t2"), "reason": "Relatives" }))),
        e("liftExclusion", "mutation($i: LiftExclusionInput!) { liftExclusion(input: $i) }", "AAFFFFNAU",
            |fx, c| input(json!({ "programmeId": fx.id("programme"), "learnerId": fx.id("l4"), "tutorId": fx.per("excluded", c) }))),
        e("checkRelations", "mutation { checkRelations }", "AAFFFFAAU", none),
        e("runMatching", "mutation($i: RunMatchingInput!) { runMatching(input: $i) { id } }", "AAFFFFNAU",
            |fx, _| input(json!({ "programmeId": fx.id("programme"), "roleId": fx.id("role") }))).phase(2),
        e("acceptMatching", "mutation($i: DecideMatchingInput!) { acceptMatching(input: $i) { id status } }", "ACFFFFNCU",
            |fx, _| input(json!({ "matchingId": fx.id("proposal-accept") }))).phase(1),
        e("rejectMatching", "mutation($i: DecideMatchingInput!) { rejectMatching(input: $i) { id status } }", "ACFFFFNCU",
            |fx, _| input(json!({ "matchingId": fx.id("proposal-reject"), "reason": "Not now" }))).phase(1),
        e("endMatching", "mutation($i: DecideMatchingInput!) { endMatching(input: $i) { id status } }", "ACFFFFNCU",
            |fx, _| input(json!({ "matchingId": fx.id("matching-end"), "reason": "Moved" }))).phase(1),
        e("overrideMatching", "mutation($i: OverrideMatchingInput!) { overrideMatching(input: $i) { id } }", "ACFFFFNCU",
            |fx, _| input(json!({ "programmeId": fx.id("programme"), "roleId": fx.id("role"), "learnerId": fx.id("l5"),
                "tutorId": fx.id("t1"), "reason": "Asked for" }))).phase(1),
        e("addPlanGoal", "mutation($i: AddPlanGoalInput!) { addPlanGoal(input: $i) { id } }", "AAANFFNAU",
            |fx, _| input(json!({ "matchingId": fx.id("matching"), "description": "Read more", "measure": "Books", "targetDate": "2027-01-31" }))),
        e("setPlanGoalStatus", "mutation($i: SetPlanGoalStatusInput!) { setPlanGoalStatus(input: $i) { id } }", "AAANFFNAU",
            |fx, _| input(json!({ "goalId": fx.id("goal"), "status": "IN_PROGRESS" }))),
        e("planIntervention", "mutation($i: PlanInterventionInput!) { planIntervention(input: $i) { id } }", "AAANFFNAU",
            |fx, _| input(json!({ "matchingId": fx.id("matching"), "interventionId": fx.id("intervention"),
                "startsOn": Utc::now().date_naive().to_string(), "everyDays": 14, "sessions": 6 }))),
        e("scheduleSession", "mutation($i: ScheduleSessionInput!) { scheduleSession(input: $i) { id } }", "AAANFFNAU",
            |fx, _| input(json!({ "matchingId": fx.id("matching"), "interventionId": fx.id("intervention"),
                "startsAt": (Utc::now() + Duration::days(3)).to_rfc3339(), "minutes": 30 }))),
        e("recordSession", "mutation($i: RecordSessionInput!) { recordSession(input: $i) { id } }", "AAANFFNAU",
            |fx, _| input(json!({ "matchingId": fx.id("matching"), "interventionId": fx.id("intervention"),
                "heldAt": Utc::now().to_rfc3339(), "minutes": 30, "attended": true }))),
        e("cancelSession", "mutation($id: ID!) { cancelSession(sessionId: $id) { id status } }", "ACCNFFNCU",
            |fx, _| json!({ "id": fx.id("session-cancel") })).phase(1),
        e("writeSessionNotes", "mutation($i: WriteSessionNotesInput!) { writeSessionNotes(input: $i) { id } }", "AAANFFNAU",
            |fx, _| input(json!({ "sessionId": fx.id("held-session"), "notes": "Went well." }))),

        // Evaluating it.
        e("createAnalyticalGrid", "mutation($i: CreateAnalyticalGridInput!) { createAnalyticalGrid(input: $i) { id } }", "AAFFFFAAU",
            |_, c| input(grid(&format!("Grid {c}")))),
        e("generateProgrammeReport", "mutation($i: GenerateProgrammeReportInput!) { generateProgrammeReport(input: $i) { queued } }", "AAFFFFNAU",
            |fx, _| input(json!({ "programmeId": fx.id("programme"), "gridId": fx.id("grid"),
                "from": (Utc::now().date_naive() - Duration::days(30)).to_string(), "to": Utc::now().date_naive().to_string() }))),
        e("decideRecommendation", "mutation($i: DecideRecommendationInput!) { decideRecommendation(input: $i) { id status } }", "AAFFFFNAU",
            |fx, _| input(json!({ "recommendationId": fx.id("recommendation"), "status": "ACCEPTED" }))),
        e("createDisseminationPlan", "mutation($i: CreateDisseminationPlanInput!) { createDisseminationPlan(input: $i) { plan { id } } }", "AAFFFFBAU",
            |fx, _| input(json!({ "name": "Board", "reportId": fx.id("report"), "audiences": [{ "kind": "COORDINATORS",
                "channel": "EMAIL_LINK", "sendAt": (Utc::now() + Duration::days(5)).to_rfc3339(), "linkLifetimeDays": 7 }] }))),
        e("cancelDisseminationPlan", "mutation($i: DisseminationPlanInput!) { cancelDisseminationPlan(input: $i) { plan { id } } }", "ACFFFFNCU",
            |fx, _| input(json!({ "planId": fx.id("plan-cancel") }))).phase(1),
        e("sendDisseminationPlanNow", "mutation($i: DisseminationPlanInput!) { sendDisseminationPlanNow(input: $i) { plan { id } } }", "ACFFFFNCU",
            |fx, _| input(json!({ "planId": fx.id("plan-send") }))).phase(1),
        e("revokeDisseminationLinks", "mutation($i: DisseminationPlanInput!) { revokeDisseminationLinks(input: $i) { plan { id } } }", "AAFFFFNAU",
            |fx, _| input(json!({ "planId": fx.id("plan-revoke") }))),

        // Webhooks.
        e("createWebhookEndpoint", "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } } }", "AAFFFFAAU",
            |_, _| input(json!({ "url": "http://127.0.0.1:9/hook", "events": ["alert.raised"] }))),
        e("disableWebhookEndpoint", "mutation($i: WebhookEndpointInput!) { disableWebhookEndpoint(input: $i) { endpoint { id } } }", "ACFFFFNCU",
            |fx, _| input(json!({ "endpointId": fx.id("endpoint-disable") }))).phase(1),
        e("rotateWebhookSecret", "mutation($i: WebhookEndpointInput!) { rotateWebhookSecret(input: $i) { endpoint { id } } }", "AAFFFFNAU",
            |fx, _| input(json!({ "endpointId": fx.id("endpoint") }))),
        e("redeliverWebhook", "mutation($i: RedeliverWebhookInput!) { redeliverWebhook(input: $i) { delivery { id } } }", "ACFFFFNCU",
            |fx, _| input(json!({ "deliveryId": fx.id("delivery") }))),
    ]
}

/// The other organisation's admin, with its own objects and the first
/// organisation's ids mixed in: refused as missing ids are.
fn cross(field: &'static str, operation: &'static str, vars: fn(&Fx, usize) -> Value) -> Entry {
    e(field, operation, "------N--", vars)
}

/// As [`cross`], refused as bad input that names the field, as a missing
/// id is.
fn cross_b(field: &'static str, operation: &'static str, vars: fn(&Fx, usize) -> Value) -> Entry {
    e(field, operation, "------B--", vars)
}

fn cross_entries() -> Vec<Entry> {
    vec![
        // The tutor, the mentor and the learner, with the other organisation's objects.
        e(
            "stateNeed",
            "mutation($i: StateNeedInput!) { stateNeed(input: $i) { need { id } } }",
            "----N----",
            |fx, _| input(json!({ "axisId": fx.id("beta-axis"), "severity": 3 })),
        ),
        e(
            "setLearnerProfile",
            "mutation($i: SetLearnerProfileInput!) { setLearnerProfile(input: $i) { languages } }",
            "----N----",
            |fx, _| {
                input(
                    json!({ "programmeId": fx.id("beta-programme"), "learnerId": fx.id("l1"), "languages": ["en"] }),
                )
            },
        ),
        e(
            "setTutorProfile",
            "mutation($i: SetTutorProfileInput!) { setTutorProfile(input: $i) { capacity } }",
            "--N------",
            |fx, _| {
                input(
                    json!({ "programmeId": fx.id("beta-programme"), "tutorId": fx.id("t1"), "roleIds": [fx.id("beta-role")], "capacity": 5, "languages": ["en"] }),
                )
            },
        ),
        e(
            "addPlanGoal",
            "mutation($i: AddPlanGoalInput!) { addPlanGoal(input: $i) { id } }",
            "--NNN----",
            |fx, _| {
                input(
                    json!({ "matchingId": fx.id("beta-matching"), "description": "Read more", "measure": "Books", "targetDate": "2027-01-31" }),
                )
            },
        ),
        e(
            "postToCommunity",
            "mutation($i: PostInput!) { postToCommunity(input: $i) { post { body } } }",
            "--NN-----",
            |fx, _| input(json!({ "communityId": fx.id("beta-community"), "body": "Hello" })),
        ),
        e(
            "matching",
            "query($id: ID!) { matching(id: $id) { id } }",
            "NNNNNFANU",
            |fx, _| json!({ "id": fx.id("beta-matching") }),
        ),
        cross(
            "inviteToCampaign",
            "mutation($i: InviteInput!) { inviteToCampaign(input: $i) { invited } }",
            |fx, _| {
                input(json!({ "campaignId": fx.id("beta-campaign"), "personIds": [fx.id("l1")] }))
            },
        ),
        cross(
            "addMember",
            "mutation($i: AddMemberInput!) { addMember(input: $i) { email } }",
            |fx, _| {
                input(
                    json!({ "email": "joiner@beta.test", "displayName": "Joiner", "role": "LEARNER",
                "password": tests::PASSWORD, "personId": fx.id("l1") }),
                )
            },
        ),
        cross(
            "createCampaign",
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { campaign { id } } }",
            |fx, _| {
                input(
                    json!({ "questionnaireId": fx.id("beta-questionnaire"), "name": "Mixed", "programmeId": fx.id("programme"),
                "opensAt": (Utc::now() + Duration::days(1)).to_rfc3339(), "closesAt": (Utc::now() + Duration::days(9)).to_rfc3339() }),
                )
            },
        ),
        cross(
            "recordInterview",
            "mutation($i: RecordInterviewInput!) { recordInterview(input: $i) { interview { id } } }",
            |fx, _| {
                input(
                    json!({ "campaignId": fx.id("beta-guide-campaign"), "intervieweeId": fx.id("l2"),
                "answers": [{ "item": "rq1", "number": 4 }] }),
                )
            },
        ),
        cross(
            "createNeed",
            "mutation($i: CreateNeedInput!) { createNeed(input: $i) { need { id } } }",
            |fx, _| {
                input(
                    json!({ "axisId": fx.id("beta-axis"), "learnerId": fx.id("l1"), "severity": 2, "source": "COORDINATOR" }),
                )
            },
        ),
        cross(
            "createNeedRule",
            "mutation($i: CreateNeedRuleInput!) { createNeedRule(input: $i) { rule { id } } }",
            |fx, _| {
                input(
                    json!({ "axisId": fx.id("beta-axis"), "campaignId": fx.id("campaign"), "scaleCode": "S", "direction": "BELOW", "threshold": 2 }),
                )
            },
        ),
        cross(
            "createIntervention",
            "mutation($i: CreateInterventionInput!) { createIntervention(input: $i) { intervention { id } } }",
            |fx, _| {
                input(
                    json!({ "axisId": fx.id("beta-axis"), "roleId": fx.id("role"), "name": "Mixed", "format": "GROUP", "tool": "IN_PERSON",
                "sessionsPerMonth": 1, "sessionMinutes": 60, "groupSize": 4, "sessionCost": 20 }),
                )
            },
        ),
        cross(
            "logSession",
            "mutation($i: LogSessionInput!) { logSession(input: $i) { sessionId } }",
            |fx, _| {
                input(
                    json!({ "interventionId": fx.id("beta-intervention"), "heldAt": Utc::now().to_rfc3339(),
                "minutes": 30, "participants": [{ "learnerId": fx.id("l1") }] }),
                )
            },
        ),
        cross(
            "logSession",
            "mutation($i: LogSessionInput!) { logSession(input: $i) { sessionId } }",
            |fx, _| {
                input(
                    json!({ "interventionId": fx.id("beta-intervention"), "tutorId": fx.id("t1"), "heldAt": Utc::now().to_rfc3339(),
                "minutes": 30, "participants": [{ "learnerId": fx.id("beta-learner") }] }),
                )
            },
        ),
        cross(
            "recordCompletion",
            "mutation($i: RecordCompletionInput!) { recordCompletion(input: $i) { module { id } } }",
            |fx, _| {
                input(
                    json!({ "moduleId": fx.id("beta-module"), "tutorId": fx.id("t1"), "completedOn": "2026-10-01" }),
                )
            },
        ),
        cross(
            "addCommunityMember",
            "mutation($i: CommunityMemberInput!) { addCommunityMember(input: $i) { community { id } } }",
            |fx, _| {
                input(json!({ "communityId": fx.id("beta-community"), "tutorId": fx.id("t1") }))
            },
        ),
        cross(
            "setTutorProfile",
            "mutation($i: SetTutorProfileInput!) { setTutorProfile(input: $i) { capacity } }",
            |fx, _| {
                input(
                    json!({ "programmeId": fx.id("beta-programme"), "tutorId": fx.id("t1"), "roleIds": [fx.id("beta-role")], "capacity": 5, "languages": ["en"] }),
                )
            },
        ),
        cross_b(
            "setTutorProfile",
            "mutation($i: SetTutorProfileInput!) { setTutorProfile(input: $i) { capacity } }",
            |fx, _| {
                input(
                    json!({ "programmeId": fx.id("beta-programme"), "tutorId": fx.id("beta-tutor"), "roleIds": [fx.id("role")], "capacity": 5, "languages": ["en"] }),
                )
            },
        ),
        cross_b(
            "setTutorProfile",
            "mutation($i: SetTutorProfileInput!) { setTutorProfile(input: $i) { capacity } }",
            |fx, _| {
                input(
                    json!({ "programmeId": fx.id("beta-programme"), "tutorId": fx.id("beta-tutor"), "roleIds": [fx.id("beta-role")], "capacity": 5,
                "languages": ["en"], "competences": [{ "axisId": fx.id("axis"), "level": 3 }] }),
                )
            },
        ),
        cross(
            "setLearnerProfile",
            "mutation($i: SetLearnerProfileInput!) { setLearnerProfile(input: $i) { languages } }",
            |fx, _| {
                input(
                    json!({ "programmeId": fx.id("beta-programme"), "learnerId": fx.id("l1"), "languages": ["en"] }),
                )
            },
        ),
        cross(
            "excludePair",
            "mutation($i: PairInput!) { excludePair(input: $i) }",
            |fx, _| {
                input(
                    json!({ "programmeId": fx.id("beta-programme"), "learnerId": fx.id("l1"), "tutorId": fx.id("beta-tutor"), "reason": "Mixed" }),
                )
            },
        ),
        cross(
            "excludePair",
            "mutation($i: PairInput!) { excludePair(input: $i) }",
            |fx, _| {
                input(
                    json!({ "programmeId": fx.id("beta-programme"), "learnerId": fx.id("beta-learner"), "tutorId": fx.id("t1"), "reason": "Mixed" }),
                )
            },
        ),
        cross(
            "overrideMatching",
            "mutation($i: OverrideMatchingInput!) { overrideMatching(input: $i) { id } }",
            |fx, _| {
                input(
                    json!({ "programmeId": fx.id("beta-programme"), "roleId": fx.id("beta-role"), "learnerId": fx.id("l3"),
                "tutorId": fx.id("beta-tutor"), "reason": "Mixed" }),
                )
            },
        ),
        cross(
            "overrideMatching",
            "mutation($i: OverrideMatchingInput!) { overrideMatching(input: $i) { id } }",
            |fx, _| {
                input(
                    json!({ "programmeId": fx.id("beta-programme"), "roleId": fx.id("beta-role"), "learnerId": fx.id("beta-learner"),
                "tutorId": fx.id("t1"), "reason": "Mixed" }),
                )
            },
        ),
        cross(
            "overrideMatching",
            "mutation($i: OverrideMatchingInput!) { overrideMatching(input: $i) { id } }",
            |fx, _| {
                input(
                    json!({ "programmeId": fx.id("beta-programme"), "roleId": fx.id("role"), "learnerId": fx.id("beta-learner"),
                "tutorId": fx.id("beta-tutor"), "reason": "Mixed" }),
                )
            },
        ),
        cross(
            "runMatching",
            "mutation($i: RunMatchingInput!) { runMatching(input: $i) { id } }",
            |fx, _| {
                input(json!({ "programmeId": fx.id("beta-programme"), "roleId": fx.id("role") }))
            },
        ),
        cross(
            "matchingCandidates",
            "query($p: ID!, $r: ID!, $l: ID!) { matchingCandidates(programmeId: $p, roleId: $r, learnerId: $l) { tutor { id } } }",
            |fx, _| json!({ "p": fx.id("beta-programme"), "r": fx.id("beta-role"), "l": fx.id("l3") }),
        ),
        cross(
            "matchingCandidates",
            "query($p: ID!, $r: ID!, $l: ID!) { matchingCandidates(programmeId: $p, roleId: $r, learnerId: $l) { tutor { id } } }",
            |fx, _| json!({ "p": fx.id("beta-programme"), "r": fx.id("role"), "l": fx.id("beta-learner") }),
        ),
        cross(
            "liftExclusion",
            "mutation($i: LiftExclusionInput!) { liftExclusion(input: $i) }",
            |fx, c| {
                input(
                    json!({ "programmeId": fx.id("beta-programme"), "learnerId": fx.id("l4"), "tutorId": fx.per("excluded", c) }),
                )
            },
        ),
        cross(
            "planIntervention",
            "mutation($i: PlanInterventionInput!) { planIntervention(input: $i) { id } }",
            |fx, _| {
                input(
                    json!({ "matchingId": fx.id("beta-matching"), "interventionId": fx.id("intervention"),
                "startsOn": Utc::now().date_naive().to_string(), "everyDays": 14, "sessions": 6 }),
                )
            },
        ),
        cross(
            "scheduleSession",
            "mutation($i: ScheduleSessionInput!) { scheduleSession(input: $i) { id } }",
            |fx, _| {
                input(
                    json!({ "matchingId": fx.id("beta-matching"), "interventionId": fx.id("intervention"),
                "startsAt": (Utc::now() + Duration::days(3)).to_rfc3339(), "minutes": 30 }),
                )
            },
        ),
        cross(
            "recordSession",
            "mutation($i: RecordSessionInput!) { recordSession(input: $i) { id } }",
            |fx, _| {
                input(
                    json!({ "matchingId": fx.id("beta-matching"), "interventionId": fx.id("intervention"),
                "heldAt": Utc::now().to_rfc3339(), "minutes": 30, "attended": true }),
                )
            },
        ),
        cross(
            "recordSession",
            "mutation($i: RecordSessionInput!) { recordSession(input: $i) { id } }",
            |fx, _| {
                input(
                    json!({ "matchingId": fx.id("beta-matching"), "sessionId": fx.id("session"), "interventionId": fx.id("beta-intervention"),
                "heldAt": Utc::now().to_rfc3339(), "minutes": 30, "attended": true }),
                )
            },
        ),
        cross(
            "generateProgrammeReport",
            "mutation($i: GenerateProgrammeReportInput!) { generateProgrammeReport(input: $i) { queued } }",
            |fx, _| {
                input(
                    json!({ "programmeId": fx.id("beta-programme"), "gridId": fx.id("grid"),
                "from": (Utc::now().date_naive() - Duration::days(30)).to_string(), "to": Utc::now().date_naive().to_string() }),
                )
            },
        ),
    ]
}

/// A grid of one criterion, sessions per learner, that every value makes
/// insufficient, and a rule that recommends on it.
pub(crate) fn grid(name: &str) -> Value {
    json!({
        "name": name,
        "criteria": [{ "code": "delivery", "name": "Delivery", "weight": 1, "indicators": [{
            "code": "sessions", "name": "Sessions", "source": { "kind": "SESSIONS_PER_LEARNER" },
            "bands": [{ "level": "INSUFFICIENT", "score": 0 }] }] }],
        "rules": [{ "subject": "sessions", "levels": ["INSUFFICIENT"], "priority": "HIGH",
            "audience": "coordinators", "text": "Hold more sessions." }],
    })
}

/// Runs a GraphQL operation that must succeed.
async fn ok(app: &TestApp, token: &str, query: &str, vars: Value) -> anyhow::Result<Value> {
    app.ok(query, vars, Some(token)).await
}

const CREATE_PEOPLE: &str =
    "mutation($i: CreatePeopleInput!) { createPeople(input: $i) { people { id } } }";
const SET_TUTOR: &str =
    "mutation($i: SetTutorProfileInput!) { setTutorProfile(input: $i) { capacity } }";
const OVERRIDE: &str =
    "mutation($i: OverrideMatchingInput!) { overrideMatching(input: $i) { id } }";
const SIGN_IN: &str = "mutation($e: String!, $o: String) { signIn(input: {email: $e, password: \"correct horse battery\", organisation: $o}) { token refreshToken } }";

/// Builds the two organisations, their people, relations, campaigns,
/// reports and endpoints, and signs every caller in.
async fn fixture(app: &TestApp) -> anyhow::Result<Fx> {
    let mut ids: BTreeMap<&'static str, String> = BTreeMap::new();
    let admin = app
        .account("alpha", "admin@alpha.test", Role::Admin)
        .await?;
    let coord = app
        .account("alpha", "coord@alpha.test", Role::Coordinator)
        .await?;
    let observer = app
        .account("alpha", "observer@alpha.test", Role::Observer)
        .await?;
    let other = app.account("beta", "admin@beta.test", Role::Admin).await?;
    app.account("alpha", "spare@alpha.test", Role::Learner)
        .await?;

    // The programme: an axis, a tutor role and a mentor role, an intervention.
    let p = fixtures::programme(app, &coord).await?;
    ids.insert("programme", p.as_str().unwrap_or_default().to_owned());
    let axis = ok(
        app,
        &coord,
        "mutation($i: CreateSupportAxisInput!) { createSupportAxis(input: $i) { axis { id } } }",
        input(json!({ "programmeId": p, "name": "Method", "kind": "METHODOLOGY", "weight": 1 })),
    )
    .await?;
    ids.insert("axis", id_at(&axis, &["createSupportAxis", "axis", "id"]));
    let role_input = |name: &str, kind: &str| {
        input(
            json!({ "programmeId": p, "name": name, "kind": kind, "functions": ["Follow up"], "hourlyCost": 30 }),
        )
    };
    let axis = ok(
        app,
        &coord,
        "mutation($i: CreateSupportAxisInput!) { createSupportAxis(input: $i) { axis { id } } }",
        input(json!({ "programmeId": p, "name": "Wellbeing", "kind": "WELLBEING", "weight": 1 })),
    )
    .await?;
    ids.insert(
        "axis-rule",
        id_at(&axis, &["createSupportAxis", "axis", "id"]),
    );
    let create_role =
        "mutation($i: CreateTutorRoleInput!) { createTutorRole(input: $i) { role { id } } }";
    let role = ok(app, &coord, create_role, role_input("Tutor", "TUTOR")).await?;
    ids.insert("role", id_at(&role, &["createTutorRole", "role", "id"]));
    let mentor_role = ok(app, &coord, create_role, role_input("Mentor", "MENTOR")).await?;
    ids.insert(
        "mentor-role",
        id_at(&mentor_role, &["createTutorRole", "role", "id"]),
    );
    let intervention = ok(app, &coord, "mutation($i: CreateInterventionInput!) { createIntervention(input: $i) { intervention { id } } }",
        input(json!({ "axisId": ids["axis"], "name": "Coaching", "format": "INDIVIDUAL", "tool": "VIDEO",
            "sessionsPerMonth": 2, "sessionMinutes": 45, "sessionCost": 10 }))).await?;
    ids.insert(
        "intervention",
        id_at(&intervention, &["createIntervention", "intervention", "id"]),
    );

    // People: five learners, two tutors, and nine interviewees.
    let mut people: Vec<Value> = (1..=5)
        .map(|n| json!({ "name": format!("Learner {n}"), "email": format!("l{n}@alpha.test"), "kind": "LEARNER" }))
        .collect();
    people.push(json!({ "name": "Tutor One", "email": "t1@alpha.test", "kind": "TUTOR" }));
    people.push(json!({ "name": "Tutor Two", "email": "t2@alpha.test", "kind": "TUTOR" }));
    people.push(json!({ "name": "Tutor Three", "kind": "TUTOR" }));
    for n in 0..CALLERS.len() {
        people.push(json!({ "name": format!("Interviewee {n}"), "kind": "LEARNER" }));
    }
    let made = ok(
        app,
        &coord,
        CREATE_PEOPLE,
        input(json!({ "people": people })),
    )
    .await?;
    let made: Vec<String> = made["createPeople"]["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    for (name, id) in ["l1", "l2", "l3", "l4", "l5", "t1", "t2", "t3"]
        .iter()
        .zip(&made)
    {
        ids.insert(name, id.clone());
    }
    let interviewees = made[8..].to_vec();
    let erasable = ok(
        app,
        &coord,
        CREATE_PEOPLE,
        input(json!({ "people": [{ "name": "Leaving Learner", "email": "leaving@alpha.test", "kind": "LEARNER" }] })),
    )
    .await?;
    ids.insert(
        "erasable",
        erasable["createPeople"]["people"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    let extra: Vec<Value> = (0..CALLERS.len())
        .map(|n| json!({ "name": format!("Excluded tutor {n}"), "kind": "TUTOR" }))
        .collect();
    let extra = ok(
        app,
        &coord,
        CREATE_PEOPLE,
        input(json!({ "people": extra })),
    )
    .await?;
    let mut excluded = Vec::new();
    for tutor in extra["createPeople"]["people"].as_array().unwrap() {
        ok(
            app,
            &coord,
            "mutation($i: PairInput!) { excludePair(input: $i) }",
            input(json!({ "programmeId": p,
            "learnerId": ids["l4"], "tutorId": tutor["id"], "reason": "Relatives" })),
        )
        .await?;
        excluded.push(id_at(tutor, &["id"]));
    }

    // Tutor One tutors learner 1; Tutor Two mentors learner 2; learners
    // 3 and 4 have needs and get proposals; learner 5 is matched and ended.
    for (tutor, role) in [("t1", "role"), ("t2", "mentor-role")] {
        ok(
            app,
            &coord,
            SET_TUTOR,
            input(json!({ "programmeId": p, "tutorId": ids[tutor],
            "roleIds": [ids[role]], "capacity": 9, "languages": ["en"] })),
        )
        .await?;
    }
    let pair = |ids: &BTreeMap<&str, String>, learner: &str, tutor: &str, role: &str| {
        input(
            json!({ "programmeId": p, "roleId": ids[role], "learnerId": ids[learner],
            "tutorId": ids[tutor], "reason": "Fits" }),
        )
    };
    let m1 = ok(app, &coord, OVERRIDE, pair(&ids, "l1", "t1", "role")).await?;
    ids.insert("matching", id_at(&m1, &["overrideMatching", "id"]));
    let m2 = ok(app, &coord, OVERRIDE, pair(&ids, "l2", "t2", "mentor-role")).await?;
    ids.insert("matching2", id_at(&m2, &["overrideMatching", "id"]));
    let create_need = "mutation($i: CreateNeedInput!) { createNeed(input: $i) { need { id } } }";
    let mut need_ids = Vec::new();
    for learner in ["l1", "l3", "l4"] {
        let need = ok(
            app,
            &coord,
            create_need,
            input(json!({ "axisId": ids["axis"], "learnerId": ids[learner],
            "severity": 4, "source": "COORDINATOR" })),
        )
        .await?;
        need_ids.push(id_at(&need, &["createNeed", "need", "id"]));
    }
    ids.insert("need", need_ids[0].clone());
    let run = ok(app, &coord, "mutation($i: RunMatchingInput!) { runMatching(input: $i) { id status matchings(first: 10) { nodes { id } } } }",
        input(json!({ "programmeId": p, "roleId": ids["role"] }))).await?;
    ids.insert("run", id_at(&run, &["runMatching", "id"]));
    let proposals = run["runMatching"]["matchings"]["nodes"].as_array().unwrap();
    anyhow::ensure!(proposals.len() == 2, "two proposals expected: {run}");
    ids.insert("proposal-accept", id_at(&proposals[0], &["id"]));
    ids.insert("proposal-reject", id_at(&proposals[1], &["id"]));
    let m5 = ok(app, &coord, OVERRIDE, pair(&ids, "l5", "t1", "role")).await?;
    ids.insert("matching-end", id_at(&m5, &["overrideMatching", "id"]));

    // Members: the tutor, the mentor and learner 1 sign in as themselves.
    let tutor = fixtures::member(
        app,
        &admin,
        "alpha",
        "t1@alpha.test",
        "TUTOR",
        &json!(ids["t1"]),
    )
    .await?;
    let mentor = fixtures::member(
        app,
        &admin,
        "alpha",
        "t2@alpha.test",
        "TUTOR",
        &json!(ids["t2"]),
    )
    .await?;
    let learner = fixtures::member(
        app,
        &admin,
        "alpha",
        "l1@alpha.test",
        "LEARNER",
        &json!(ids["l1"]),
    )
    .await?;

    // The relation's plan and sessions.
    let goal = ok(app, &tutor, "mutation($i: AddPlanGoalInput!) { addPlanGoal(input: $i) { id } }",
        input(json!({ "matchingId": ids["matching"], "description": "Plan", "measure": "Weekly plan", "targetDate": "2027-01-31" }))).await?;
    ids.insert("goal", id_at(&goal, &["addPlanGoal", "id"]));
    let schedule = "mutation($i: ScheduleSessionInput!) { scheduleSession(input: $i) { id } }";
    let at = |days: i64| (Utc::now() + Duration::days(days)).to_rfc3339();
    let session = ok(
        app,
        &tutor,
        schedule,
        input(json!({ "matchingId": ids["matching"],
        "interventionId": ids["intervention"], "startsAt": at(1), "minutes": 45 })),
    )
    .await?;
    ids.insert("session", id_at(&session, &["scheduleSession", "id"]));
    let session = ok(
        app,
        &tutor,
        schedule,
        input(json!({ "matchingId": ids["matching"],
        "interventionId": ids["intervention"], "startsAt": at(4), "minutes": 45 })),
    )
    .await?;
    ids.insert(
        "session-cancel",
        id_at(&session, &["scheduleSession", "id"]),
    );
    let held = ok(
        app,
        &tutor,
        "mutation($i: RecordSessionInput!) { recordSession(input: $i) { id } }",
        input(
            json!({ "matchingId": ids["matching"], "interventionId": ids["intervention"],
            "heldAt": Utc::now().to_rfc3339(), "minutes": 30, "attended": true }),
        ),
    )
    .await?;
    ids.insert("held-session", id_at(&held, &["recordSession", "id"]));

    // Training and community.
    let module = ok(app, &coord, "mutation($i: CreateTrainingModuleInput!) { createTrainingModule(input: $i) { module { id } } }",
        input(json!({ "programmeId": p, "title": "Basics", "hours": 3, "level": "BASIC" }))).await?;
    ids.insert(
        "module",
        id_at(&module, &["createTrainingModule", "module", "id"]),
    );
    let community = ok(
        app,
        &coord,
        "mutation($i: CreateCommunityInput!) { createCommunity(input: $i) { community { id } } }",
        input(json!({ "programmeId": p, "name": "Tutors' circle" })),
    )
    .await?;
    ids.insert(
        "community",
        id_at(&community, &["createCommunity", "community", "id"]),
    );
    ok(app, &coord, "mutation($i: CommunityMemberInput!) { addCommunityMember(input: $i) { community { id } } }",
        input(json!({ "communityId": ids["community"], "tutorId": ids["t1"] }))).await?;

    // A launched campaign to learners 1 and 2, a draft, one to launch and
    // one to close; an interview guide's campaign.
    let questionnaire = fixtures::questionnaire(app, &coord).await?;
    ids.insert("questionnaire", questionnaire.clone());
    let spec = || CampaignSpec {
        min_group_size: 1,
        ..CampaignSpec::default()
    };
    let campaign = fixtures::campaign(app, &coord, &questionnaire, spec()).await?;
    ids.insert("campaign", campaign.clone());
    let invite = "mutation($i: InviteInput!) { inviteToCampaign(input: $i) { invited } }";
    let launch = "mutation($i: CampaignInput!) { launchCampaign(input: $i) { campaign { id } } }";
    ok(
        app,
        &coord,
        invite,
        input(json!({ "campaignId": campaign, "personIds": [ids["l1"], ids["l2"]] })),
    )
    .await?;
    ok(
        app,
        &coord,
        launch,
        input(json!({ "campaignId": campaign })),
    )
    .await?;
    assert_eq!(app.jobs_done("send_invitations", 1).await?, 0);
    let invitation = app
        .mail
        .messages()
        .into_iter()
        .find(|m| m.recipients.iter().any(|r| r.starts_with("l2@alpha")))
        .and_then(|m| m.token())
        .ok_or_else(|| anyhow::anyhow!("no invitation for learner 2"))?;
    ids.insert("invitation-token", invitation);
    let listed = ok(
        app,
        &coord,
        "query($id: ID!) { node(id: $id) { ... on Campaign { invitations(first: 1) { nodes { id } }
        questionnaire { items { id } } } } }",
        json!({ "id": campaign }),
    )
    .await?;
    ids.insert(
        "invitation",
        id_at(&listed, &["node", "invitations", "nodes", "0", "id"]),
    );
    ids.insert(
        "item",
        id_at(&listed, &["node", "questionnaire", "items", "0", "id"]),
    );
    for name in ["draft", "to-launch", "to-close"] {
        let c = fixtures::campaign(app, &coord, &questionnaire, spec()).await?;
        ids.insert(name, c);
    }
    ok(
        app,
        &coord,
        invite,
        input(json!({ "campaignId": ids["to-launch"], "personIds": [ids["l3"]] })),
    )
    .await?;
    let guide = ok(app, &coord, "mutation($i: CreateQuestionnaireFromTemplateInput!) { createQuestionnaireFromTemplate(input: $i) { questionnaire { id } } }",
        input(json!({ "key": "relationship-learner", "mode": "INTERVIEW_GUIDE" }))).await?;
    let guide = id_at(
        &guide,
        &["createQuestionnaireFromTemplate", "questionnaire", "id"],
    );
    let guide_campaign = fixtures::campaign(app, &coord, &guide, spec()).await?;
    ok(
        app,
        &coord,
        invite,
        input(json!({ "campaignId": guide_campaign, "personIds": interviewees })),
    )
    .await?;
    ok(
        app,
        &coord,
        launch,
        input(json!({ "campaignId": guide_campaign })),
    )
    .await?;
    let interview = ok(app, &coord, "mutation($i: RecordInterviewInput!) { recordInterview(input: $i) { interview { id } } }",
        input(json!({ "campaignId": guide_campaign, "intervieweeId": ids["l1"], "answers": [{ "item": "rq1", "number": 5 }] }))).await?;
    ids.insert(
        "interview",
        id_at(&interview, &["recordInterview", "interview", "id"]),
    );
    ids.insert("guide-campaign", guide_campaign);

    // The campaign's report, a share of it and two dissemination plans.
    ok(
        app,
        &coord,
        "mutation($i: CampaignInput!) { generateReport(input: $i) { campaign { id } } }",
        input(json!({ "campaignId": campaign })),
    )
    .await?;
    assert_eq!(app.jobs_done("generate_report", 1).await?, 0);
    let reports = ok(app, &coord, "query($id: ID!) { node(id: $id) { ... on Campaign { reports(first: 1) { nodes { id } } } } }",
        json!({ "id": campaign })).await?;
    ids.insert(
        "report",
        id_at(&reports, &["node", "reports", "nodes", "0", "id"]),
    );
    let share = ok(
        app,
        &coord,
        "mutation($i: ShareReportInput!) { shareReport(input: $i) { share { id } } }",
        input(json!({ "reportId": ids["report"], "audience": "Board", "expiresAt": at(3) })),
    )
    .await?;
    ids.insert("share", id_at(&share, &["shareReport", "share", "id"]));
    for name in ["plan-cancel", "plan-send", "plan-revoke"] {
        let plan = ok(app, &coord, "mutation($i: CreateDisseminationPlanInput!) { createDisseminationPlan(input: $i) { plan { id } } }",
            input(json!({ "name": name, "reportId": ids["report"], "audiences": [{ "kind": "COORDINATORS",
                "channel": "EMAIL_LINK", "sendAt": at(5), "linkLifetimeDays": 7 }] }))).await?;
        ids.insert(
            name,
            id_at(&plan, &["createDisseminationPlan", "plan", "id"]),
        );
    }

    ok(app, &coord, "mutation($i: DisseminationPlanInput!) { sendDisseminationPlanNow(input: $i) { plan { id } } }",
        input(json!({ "planId": ids["plan-revoke"] }))).await?;
    assert_eq!(app.jobs_done("disseminate", 1).await?, 0);

    // A need rule on the campaign's scale.
    let rule = ok(app, &coord, "mutation($i: CreateNeedRuleInput!) { createNeedRule(input: $i) { rule { id } } }",
        input(json!({ "axisId": ids["axis"], "campaignId": campaign, "scaleCode": "S", "direction": "BELOW", "threshold": 2 }))).await?;
    ids.insert("need-rule", id_at(&rule, &["createNeedRule", "rule", "id"]));

    // A programme report with one recommendation.
    let grid = ok(
        app,
        &coord,
        "mutation($i: CreateAnalyticalGridInput!) { createAnalyticalGrid(input: $i) { id } }",
        input(grid("Delivery")),
    )
    .await?;
    ids.insert("grid", id_at(&grid, &["createAnalyticalGrid", "id"]));
    let today = Utc::now().date_naive();
    ok(app, &coord, "mutation($i: GenerateProgrammeReportInput!) { generateProgrammeReport(input: $i) { queued } }",
        input(json!({ "programmeId": p, "gridId": ids["grid"], "from": (today - Duration::days(30)).to_string(), "to": today.to_string() }))).await?;
    assert_eq!(app.jobs_done("generate_programme_report", 1).await?, 0);
    let reports = ok(app, &coord, "query($p: ID!) { programmeReports(programmeId: $p, first: 1) { nodes { recommendations { id } } } }",
        json!({ "p": p })).await?;
    ids.insert(
        "recommendation",
        id_at(
            &reports,
            &[
                "programmeReports",
                "nodes",
                "0",
                "recommendations",
                "0",
                "id",
            ],
        ),
    );

    // Webhook endpoints and one delivery.
    let create_endpoint = "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } } }";
    for name in ["endpoint", "endpoint-disable"] {
        let endpoint = ok(
            app,
            &coord,
            create_endpoint,
            input(json!({ "url": "http://127.0.0.1:9/hook", "events": ["alert.raised"] })),
        )
        .await?;
        ids.insert(
            name,
            id_at(&endpoint, &["createWebhookEndpoint", "endpoint", "id"]),
        );
    }
    let endpoint_id = api::ids::decode(&api::ids::ID(ids["endpoint"].clone()), "WebhookEndpoint")
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let organisation_id = entities::webhook_endpoint::Entity::find_by_id(endpoint_id)
        .one(&app.state.db)
        .await?
        .map(|e| e.organisation_id)
        .unwrap_or_default();
    let delivery =
        entities::webhook_delivery::Entity::insert(entities::webhook_delivery::ActiveModel {
            organisation_id: Set(organisation_id),
            endpoint_id: Set(endpoint_id),
            event_id: Set("msg_matrix".into()),
            event_type: Set("alert.raised".into()),
            payload: Set(json!({ "type": "alert.raised" })),
            attempts: Set(3),
            attempts_before_redelivery: Set(0),
            status: Set(entities::WebhookStatus::Failed),
            next_attempt_at: Set(Utc::now()),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_with_returning(&app.state.db)
        .await?;
    ids.insert(
        "delivery",
        api::ids::encode("WebhookDelivery", delivery.id).0,
    );

    // The other organisation's own programme, people, relation, campaigns,
    // community and module.
    let bp = fixtures::programme(app, &other).await?;
    ids.insert("beta-programme", bp.as_str().unwrap_or_default().to_owned());
    let axis = ok(
        app,
        &other,
        "mutation($i: CreateSupportAxisInput!) { createSupportAxis(input: $i) { axis { id } } }",
        input(json!({ "programmeId": bp, "name": "Method", "kind": "METHODOLOGY", "weight": 1 })),
    )
    .await?;
    ids.insert(
        "beta-axis",
        id_at(&axis, &["createSupportAxis", "axis", "id"]),
    );
    let role = ok(
        app,
        &other,
        create_role,
        input(json!({ "programmeId": bp, "name": "Tutor", "kind": "TUTOR",
        "functions": ["Follow up"], "hourlyCost": 30 })),
    )
    .await?;
    ids.insert(
        "beta-role",
        id_at(&role, &["createTutorRole", "role", "id"]),
    );
    let intervention = ok(app, &other, "mutation($i: CreateInterventionInput!) { createIntervention(input: $i) { intervention { id } } }",
        input(json!({ "axisId": ids["beta-axis"], "name": "Coaching", "format": "INDIVIDUAL", "tool": "VIDEO",
            "sessionsPerMonth": 2, "sessionMinutes": 45, "sessionCost": 10 }))).await?;
    ids.insert(
        "beta-intervention",
        id_at(&intervention, &["createIntervention", "intervention", "id"]),
    );
    let made = ok(app, &other, CREATE_PEOPLE, input(json!({ "people": [
        { "name": "Beta learner", "kind": "LEARNER" }, { "name": "Beta tutor", "kind": "TUTOR" }] }))).await?;
    ids.insert(
        "beta-learner",
        id_at(&made, &["createPeople", "people", "0", "id"]),
    );
    ids.insert(
        "beta-tutor",
        id_at(&made, &["createPeople", "people", "1", "id"]),
    );
    ok(
        app,
        &other,
        SET_TUTOR,
        input(json!({ "programmeId": bp, "tutorId": ids["beta-tutor"],
        "roleIds": [ids["beta-role"]], "capacity": 9, "languages": ["en"] })),
    )
    .await?;
    let bm = ok(
        app,
        &other,
        OVERRIDE,
        input(json!({ "programmeId": bp, "roleId": ids["beta-role"],
        "learnerId": ids["beta-learner"], "tutorId": ids["beta-tutor"], "reason": "Fits" })),
    )
    .await?;
    ids.insert("beta-matching", id_at(&bm, &["overrideMatching", "id"]));
    let bq = fixtures::questionnaire(app, &other).await?;
    ids.insert(
        "beta-campaign",
        fixtures::campaign(app, &other, &bq, spec()).await?,
    );
    ids.insert("beta-questionnaire", bq);
    let guide = ok(app, &other, "mutation($i: CreateQuestionnaireFromTemplateInput!) { createQuestionnaireFromTemplate(input: $i) { questionnaire { id } } }",
        input(json!({ "key": "relationship-learner", "mode": "INTERVIEW_GUIDE" }))).await?;
    let guide = id_at(
        &guide,
        &["createQuestionnaireFromTemplate", "questionnaire", "id"],
    );
    let guide_campaign = fixtures::campaign(app, &other, &guide, spec()).await?;
    ok(
        app,
        &other,
        launch,
        input(json!({ "campaignId": guide_campaign })),
    )
    .await?;
    ids.insert("beta-guide-campaign", guide_campaign);
    let community = ok(
        app,
        &other,
        "mutation($i: CreateCommunityInput!) { createCommunity(input: $i) { community { id } } }",
        input(json!({ "programmeId": bp, "name": "Circle" })),
    )
    .await?;
    ids.insert(
        "beta-community",
        id_at(&community, &["createCommunity", "community", "id"]),
    );
    let module = ok(app, &other, "mutation($i: CreateTrainingModuleInput!) { createTrainingModule(input: $i) { module { id } } }",
        input(json!({ "programmeId": bp, "title": "Basics", "hours": 3, "level": "BASIC" }))).await?;
    ids.insert(
        "beta-module",
        id_at(&module, &["createTrainingModule", "module", "id"]),
    );

    // Per caller: dead letters, suppressed addresses, refresh tokens.
    let mut per_caller: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    per_caller.insert("interviewee", interviewees);
    per_caller.insert("excluded", excluded);
    let campaign_id = api::ids::decode(&api::ids::ID(campaign.clone()), "Campaign")
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut letters = Vec::new();
    let mut suppressed = Vec::new();
    let mut refresh = Vec::new();
    for n in 0..CALLERS.len() {
        let letter = entities::dead_letter::Entity::insert(entities::dead_letter::ActiveModel {
            organisation_id: Set(Some(organisation_id)),
            campaign_id: Set(None),
            kind: Set("aggregate_campaign".into()),
            payload: Set(serde_json::to_value(worker::Job::AggregateCampaign {
                campaign_id,
            })?),
            reason: Set("database error".into()),
            attempts: Set(5),
            failed_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_with_returning(&app.state.db)
        .await?;
        letters.push(api::ids::encode("DeadLetter", letter.id).0);
        let address = format!("gone{n}@else.test");
        ok(app, &coord, "mutation($i: SuppressAddressInput!) { suppressAddress(input: $i) { suppression { address } } }",
            input(json!({ "address": address, "reason": "OPT_OUT" }))).await?;
        suppressed.push(address);
        let signed = app
            .ok(
                SIGN_IN,
                json!({ "e": "spare@alpha.test", "o": "alpha" }),
                None,
            )
            .await?;
        refresh.push(
            signed["signIn"]["refreshToken"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    per_caller.insert("dead-letter", letters);
    per_caller.insert("suppressed", suppressed);
    per_caller.insert("refresh", refresh);

    // The API key, and a second one to revoke.
    let create_key =
        "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key apiKey { id } } }";
    let key = ok(
        app,
        &admin,
        create_key,
        input(json!({ "name": "CRM", "scopes": ["READ", "WRITE"] })),
    )
    .await?;
    let spare_key = ok(
        app,
        &admin,
        create_key,
        input(json!({ "name": "Old", "scopes": ["READ"] })),
    )
    .await?;
    let read_key = ok(
        app,
        &admin,
        create_key,
        input(json!({ "name": "Dashboard", "scopes": ["READ"] })),
    )
    .await?;
    let read_key = read_key["createApiKey"]["key"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    ids.insert(
        "spare-key",
        id_at(&spare_key, &["createApiKey", "apiKey", "id"]),
    );
    let key = key["createApiKey"]["key"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // Second sessions, for the entries that end one.
    let mut spare = Vec::new();
    for (email, org) in [
        ("admin@alpha.test", "alpha"),
        ("coord@alpha.test", "alpha"),
        ("t1@alpha.test", "alpha"),
        ("t2@alpha.test", "alpha"),
        ("l1@alpha.test", "alpha"),
        ("observer@alpha.test", "alpha"),
        ("admin@beta.test", "beta"),
    ] {
        let signed = app
            .ok(SIGN_IN, json!({ "e": email, "o": org }), None)
            .await?;
        spare.push(signed["signIn"]["token"].as_str().map(str::to_owned));
    }
    spare.push(Some(key.clone()));
    spare.push(None);
    spare.push(Some(read_key.clone()));

    let alpha: BTreeSet<String> = ids
        .iter()
        .filter(|(name, _)| !name.contains("token") && !name.starts_with("beta-"))
        .map(|(_, id)| id.clone())
        .chain(per_caller["interviewee"].iter().cloned())
        .chain(per_caller["dead-letter"].iter().cloned())
        .collect();
    let set =
        |names: &[&str]| -> BTreeSet<String> { names.iter().map(|n| ids[n].clone()).collect() };
    let mut hidden = vec![BTreeSet::new(); CALLERS.len()];
    hidden[TUTOR] = set(&["l2", "matching2"]);
    hidden[MENTOR] = set(&["l1", "matching", "goal", "session"]);
    hidden[LEARNER] = set(&["l2", "matching2"]);
    hidden[OBSERVER] = set(&["l1", "l2", "t1", "t2", "matching", "matching2"]);
    hidden[OTHER] = alpha;

    Ok(Fx {
        ids,
        tokens: vec![
            Some(admin),
            Some(coord),
            Some(tutor),
            Some(mentor),
            Some(learner),
            Some(observer),
            Some(other),
            Some(key),
            None,
            Some(read_key),
        ],
        spare,
        per_caller,
        hidden,
    })
}

/// The root fields of the running schema, as `Query.x` and `Mutation.y`.
async fn root_fields(app: &TestApp, token: &str) -> anyhow::Result<BTreeSet<String>> {
    let schema = ok(
        app,
        token,
        "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }",
        json!({}),
    )
    .await?;
    let mut fields = BTreeSet::new();
    for (kind, at) in [("Query", "queryType"), ("Mutation", "mutationType")] {
        for field in schema["__schema"][at]["fields"]
            .as_array()
            .into_iter()
            .flatten()
        {
            fields.insert(format!(
                "{kind}.{}",
                field["name"].as_str().unwrap_or_default()
            ));
        }
    }
    Ok(fields)
}

/// The outcome `entry` gives `caller`. A key that may only read is the
/// full key for queries, and refused every mutation.
fn expected(entry: &Entry, caller: usize) -> char {
    let of = |caller: usize| entry.expect.chars().nth(caller).unwrap_or('?');
    match caller {
        READ_ONLY_KEY if of(KEY) == '-' => '-',
        READ_ONLY_KEY if entry.operation.starts_with("mutation") || entry.upload.is_some() => 'F',
        READ_ONLY_KEY => of(KEY),
        _ => of(caller),
    }
}

/// `vars` with every id of the first organisation swapped for an id of
/// the same type that names nothing.
fn missing_twin(fx: &Fx, vars: Value) -> Value {
    match vars {
        Value::String(s) if fx.hidden[OTHER].contains(&s) => {
            match api::ids::decode_any(&api::ids::ID(s.clone())) {
                Ok((kind, _)) => Value::String(api::ids::encode(&kind, 999_999_999).0),
                Err(_) => Value::String(s),
            }
        }
        Value::Array(items) => items.into_iter().map(|v| missing_twin(fx, v)).collect(),
        Value::Object(fields) => fields
            .into_iter()
            .map(|(k, v)| (k, missing_twin(fx, v)))
            .collect(),
        other => other,
    }
}

/// Sends `entry` as `caller`: the whole response body.
async fn send(app: &TestApp, fx: &Fx, entry: &Entry, caller: usize) -> anyhow::Result<Value> {
    send_vars(app, fx, entry, caller, (entry.vars)(fx, caller)).await
}

async fn send_vars(
    app: &TestApp,
    fx: &Fx,
    entry: &Entry,
    caller: usize,
    vars: Value,
) -> anyhow::Result<Value> {
    let token = if entry.spare {
        fx.spare[caller].as_deref()
    } else {
        fx.tokens[caller].as_deref()
    };
    let Some(csv) = entry.upload else {
        return app.post(entry.operation, vars, token).await;
    };
    let operations = json!({
        "query": "mutation($input: ImportResponsesInput!) { importResponses(input: $input) { imported } }",
        "variables": { "input": vars["i"] },
    });
    let form = Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.input.file"] }).to_string())
        .part(
            "0",
            Part::bytes(csv.as_bytes().to_vec())
                .file_name("answers.csv")
                .mime_str("text/csv")?,
        );
    let mut request = app
        .http()
        .post(app.graphql_url())
        .header("Apollo-Require-Preflight", "true")
        .multipart(form);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    Ok(request.send().await?.json().await?)
}

/// Every string in `value`, ids among them.
fn strings<'a>(value: &'a Value, found: &mut BTreeSet<&'a str>) {
    match value {
        Value::String(s) => {
            found.insert(s);
        }
        Value::Array(items) => items.iter().for_each(|v| strings(v, found)),
        Value::Object(fields) => fields.values().for_each(|v| strings(v, found)),
        _ => {}
    }
}

/// What went wrong with one answer, if anything.
fn judge(fx: &Fx, entry: &Entry, caller: usize, expected: char, body: &Value) -> Option<String> {
    let code = body["errors"][0]["extensions"]["code"].as_str();
    let has_errors = body.get("errors").is_some_and(|e| !e.is_null());
    let data = &body["data"][entry.field];
    let wanted = match expected {
        'F' => "FORBIDDEN",
        'U' => "UNAUTHENTICATED",
        'N' => "NOT_FOUND",
        'T' => "INVALID_TOKEN",
        'B' => "BAD_USER_INPUT",
        'C' if code == Some("CONFLICT") => return None,
        'A' | 'C' if !has_errors && !data.is_null() => {
            let text = data.to_string();
            let mut found = BTreeSet::new();
            strings(data, &mut found);
            if let Some(seen) = fx.hidden[caller]
                .iter()
                .find(|id| found.contains(id.as_str()))
            {
                return Some(format!("shows {seen}, hidden from it: {text}"));
            }
            let shows = entry.shows.map(|f| f(fx, caller)).unwrap_or_default();
            if let Some(missing) = shows.iter().find(|id| !found.contains(id.as_str())) {
                return Some(format!("lacks {missing}, which it may see: {text}"));
            }
            return None;
        }
        '0' if !has_errors && data.is_null() => return None,
        'A' | 'C' | '0' => "data",
        other => panic!("unknown outcome {other}"),
    };
    if code == Some(wanted) {
        None
    } else {
        let got = code.map_or_else(|| format!("data {data}"), str::to_owned);
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        Some(format!("expected {wanted}, got {got} {message}"))
    }
}

#[tokio::test]
async fn every_root_field_answers_each_kind_of_caller_as_its_rule_says() -> anyhow::Result<()> {
    let app = TestApp::spawn_with(|s| s.webhook_allow_loopback = true).await?;
    let fx = fixture(&app).await?;
    let mut entries = entries();
    entries.extend(cross_entries());
    entries.sort_by_key(|e| e.phase);

    let fields = root_fields(&app, fx.tokens[ADMIN].as_deref().unwrap_or_default()).await?;
    let covered: BTreeSet<&str> = entries.iter().map(|e| e.field).collect();
    let uncovered: Vec<&String> = fields
        .iter()
        .filter(|f| {
            !f.split_once('.')
                .is_some_and(|(_, name)| covered.contains(name))
        })
        .collect();
    let unknown: Vec<&&str> = covered
        .iter()
        .filter(|name| !fields.iter().any(|f| f.ends_with(&format!(".{name}"))))
        .collect();
    assert!(
        uncovered.is_empty() && unknown.is_empty(),
        "root fields without a rule: {uncovered:?}; rules without a field: {unknown:?}"
    );

    let mut mismatches = Vec::new();
    let mut answers = 0;
    for entry in &entries {
        assert_eq!(entry.expect.len(), CALLERS.len() - 1, "{}", entry.field);
        for (caller, name) in CALLERS.iter().enumerate() {
            let expected = expected(entry, caller);
            if expected == '-' {
                continue;
            }
            let body = send(&app, &fx, entry, caller).await?;
            answers += 1;
            if let Some(wrong) = judge(&fx, entry, caller, expected, &body) {
                mismatches.push(format!("{} as {name}: {wrong}", entry.field));
            } else if caller == OTHER && matches!(expected, 'N' | 'B') {
                // Another organisation's object is refused as a missing one is.
                let twin = Entry {
                    vars: |_, _| Value::Null,
                    ..*entry
                };
                let vars = missing_twin(&fx, (entry.vars)(&fx, caller));
                let missing = send_vars(&app, &fx, &twin, caller, vars).await?;
                if missing["errors"][0] != body["errors"][0] {
                    mismatches.push(format!(
                        "{} as {name}: {} for another organisation's object, {} for a missing one",
                        entry.field, body["errors"][0], missing["errors"][0]
                    ));
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} answers not as the rules say ({}):\n{}",
        mismatches.len(),
        answers,
        app.env.backend(),
        mismatches.join("\n")
    );
    app.stop().await
}
