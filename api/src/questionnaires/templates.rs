//! A library of ready instruments for evaluating tutoring and mentoring,
//! in English and French, with their scales and scoring keys.
//!
//! Every item is written for this library. The two relationship
//! instruments are parallel: the learner's and the tutor's share their
//! item codes, reverse keys and scale code (`RQ`), so that the two sides of
//! a relation can be set side by side.

use entities::{Audience, ItemKind};

use super::types::{CreateQuestionnaireInput, ItemInput, QuestionnaireMode, ScaleInput};

/// The languages the templates are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    En,
    Fr,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::En, Language::Fr];

    /// `en` or `fr`, as people's languages are written.
    pub fn parse(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Self::En),
            "fr" => Some(Self::Fr),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Fr => "fr",
        }
    }
}

/// One wording in each language.
#[derive(Clone, Copy, Debug)]
pub struct Text {
    pub en: &'static str,
    pub fr: &'static str,
}

impl Text {
    pub fn get(&self, language: Language) -> &'static str {
        match language {
            Language::En => self.en,
            Language::Fr => self.fr,
        }
    }
}

const fn t(en: &'static str, fr: &'static str) -> Text {
    Text { en, fr }
}

/// What an instrument measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Construct {
    RelationshipQuality,
    MentoringFunctions,
    SessionFeedback,
    TrainingReaction,
    NetPromoter,
}

pub struct TemplateScale {
    pub code: &'static str,
    pub name: Text,
    pub higher_is_better: bool,
}

pub struct TemplateItem {
    pub code: &'static str,
    pub scale: Option<&'static str>,
    pub kind: ItemKind,
    pub points: Option<i32>,
    /// Likert anchors, one per point, or the options of a choice item.
    pub labels: &'static [Text],
    pub reverse_keyed: bool,
    pub prompt: Text,
}

pub struct Template {
    pub key: &'static str,
    pub construct: Construct,
    pub audience: Audience,
    pub name: Text,
    pub description: Text,
    pub scales: &'static [TemplateScale],
    pub items: &'static [TemplateItem],
}

impl Template {
    /// The questionnaire this template makes in `language`: its key is the
    /// template's followed by the language, so that each language keeps its
    /// own versions.
    pub fn to_input(
        &self,
        language: Language,
        title: Option<String>,
        mode: QuestionnaireMode,
    ) -> CreateQuestionnaireInput {
        CreateQuestionnaireInput {
            key: format!("{}-{}", self.key, language.code()),
            title: title.unwrap_or_else(|| self.name.get(language).to_owned()),
            description: self.description.get(language).to_owned(),
            audience: self.audience.into(),
            mode,
            scales: self
                .scales
                .iter()
                .map(|s| ScaleInput {
                    code: s.code.to_owned(),
                    name: s.name.get(language).to_owned(),
                    higher_is_better: s.higher_is_better,
                })
                .collect(),
            items: self
                .items
                .iter()
                .map(|i| ItemInput {
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
                    min: None,
                    max: None,
                    required: false,
                    scale: i.scale.map(str::to_owned),
                })
                .collect(),
        }
    }
}

/// The template with this key.
pub fn find(key: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.key == key.trim())
}

const AGREEMENT: &[Text] = &[
    t("Strongly disagree", "Pas du tout d'accord"),
    t("Disagree", "Plutôt pas d'accord"),
    t("Neither agree nor disagree", "Ni d'accord ni pas d'accord"),
    t("Agree", "Plutôt d'accord"),
    t("Strongly agree", "Tout à fait d'accord"),
];

/// A five-point agreement item of `scale`.
const fn agree(code: &'static str, scale: &'static str, prompt: Text) -> TemplateItem {
    TemplateItem {
        code,
        scale: Some(scale),
        kind: ItemKind::Likert,
        points: Some(5),
        labels: AGREEMENT,
        reverse_keyed: false,
        prompt,
    }
}

/// A five-point agreement item scored the other way round.
const fn disagree(code: &'static str, scale: &'static str, prompt: Text) -> TemplateItem {
    TemplateItem {
        reverse_keyed: true,
        ..agree(code, scale, prompt)
    }
}

const fn open(code: &'static str, prompt: Text) -> TemplateItem {
    TemplateItem {
        code,
        scale: None,
        kind: ItemKind::FreeText,
        points: None,
        labels: &[],
        reverse_keyed: false,
        prompt,
    }
}

const RELATIONSHIP: &[TemplateScale] = &[TemplateScale {
    code: "RQ",
    name: t("Relationship quality", "Qualité de la relation"),
    higher_is_better: true,
}];

/// Every instrument of the library.
pub static TEMPLATES: &[Template] = &[
    Template {
        key: "relationship-learner",
        construct: Construct::RelationshipQuality,
        audience: Audience::Learners,
        name: t(
            "Relationship quality: the learner's view",
            "Qualité de la relation : le regard de l'apprenant",
        ),
        description: t(
            "How the learner sees the relationship with their tutor. Parallel to the tutor's version.",
            "Comment l'apprenant voit la relation avec la personne qui l'accompagne. Parallèle à la version du tuteur.",
        ),
        scales: RELATIONSHIP,
        items: &[
            agree(
                "rq1",
                "RQ",
                t(
                    "I can count on my tutor to do what we agree on.",
                    "Je peux compter sur la personne qui m'accompagne pour tenir nos engagements.",
                ),
            ),
            agree(
                "rq2",
                "RQ",
                t(
                    "I talk openly with my tutor about my difficulties.",
                    "Je parle librement de mes difficultés avec la personne qui m'accompagne.",
                ),
            ),
            agree(
                "rq3",
                "RQ",
                t(
                    "My tutor understands what I am trying to achieve.",
                    "La personne qui m'accompagne comprend ce que je cherche à atteindre.",
                ),
            ),
            disagree(
                "rq4",
                "RQ",
                t(
                    "Our meetings often feel tense or awkward.",
                    "Nos rencontres sont souvent tendues ou embarrassantes.",
                ),
            ),
            agree(
                "rq5",
                "RQ",
                t(
                    "We agree on what our work together should focus on.",
                    "Nous sommes d'accord sur les priorités de notre travail ensemble.",
                ),
            ),
            disagree(
                "rq6",
                "RQ",
                t(
                    "I sometimes feel my tutor does not take our meetings seriously.",
                    "J'ai parfois l'impression que la personne qui m'accompagne ne prend pas nos rencontres au sérieux.",
                ),
            ),
            agree(
                "rq7",
                "RQ",
                t(
                    "Overall, our relationship works well for me.",
                    "Dans l'ensemble, notre relation me convient.",
                ),
            ),
            open(
                "comment",
                t(
                    "Is there anything you would like to add about this relationship?",
                    "Souhaitez-vous ajouter quelque chose à propos de cette relation ?",
                ),
            ),
        ],
    },
    Template {
        key: "relationship-tutor",
        construct: Construct::RelationshipQuality,
        audience: Audience::Tutors,
        name: t(
            "Relationship quality: the tutor's view",
            "Qualité de la relation : le regard du tuteur",
        ),
        description: t(
            "How the tutor sees the relationship with one learner. Parallel to the learner's version.",
            "Comment le tuteur voit la relation avec une personne accompagnée. Parallèle à la version de l'apprenant.",
        ),
        scales: RELATIONSHIP,
        items: &[
            agree(
                "rq1",
                "RQ",
                t(
                    "I can count on this learner to do what we agree on.",
                    "Je peux compter sur la personne que j'accompagne pour tenir nos engagements.",
                ),
            ),
            agree(
                "rq2",
                "RQ",
                t(
                    "This learner talks openly with me about their difficulties.",
                    "La personne que j'accompagne me parle librement de ses difficultés.",
                ),
            ),
            agree(
                "rq3",
                "RQ",
                t(
                    "I understand what this learner is trying to achieve.",
                    "Je comprends ce que la personne que j'accompagne cherche à atteindre.",
                ),
            ),
            disagree(
                "rq4",
                "RQ",
                t(
                    "Our meetings often feel tense or awkward.",
                    "Nos rencontres sont souvent tendues ou embarrassantes.",
                ),
            ),
            agree(
                "rq5",
                "RQ",
                t(
                    "We agree on what our work together should focus on.",
                    "Nous sommes d'accord sur les priorités de notre travail ensemble.",
                ),
            ),
            disagree(
                "rq6",
                "RQ",
                t(
                    "I sometimes feel this learner does not take our meetings seriously.",
                    "J'ai parfois l'impression que la personne que j'accompagne ne prend pas nos rencontres au sérieux.",
                ),
            ),
            agree(
                "rq7",
                "RQ",
                t(
                    "Overall, our relationship works well for me.",
                    "Dans l'ensemble, notre relation me convient.",
                ),
            ),
            open(
                "comment",
                t(
                    "Is there anything you would like to add about this relationship?",
                    "Souhaitez-vous ajouter quelque chose à propos de cette relation ?",
                ),
            ),
        ],
    },
    Template {
        key: "mentoring-functions",
        construct: Construct::MentoringFunctions,
        audience: Audience::Learners,
        name: t("Mentoring functions", "Fonctions du mentorat"),
        description: t(
            "What the mentor brings, as the mentee sees it: career support, psychosocial support and a role model.",
            "Ce qu'apporte le mentor, vu par la personne mentorée : soutien au parcours, soutien psychosocial et modèle de rôle.",
        ),
        scales: &[
            TemplateScale {
                code: "CAREER",
                name: t("Career support", "Soutien au parcours"),
                higher_is_better: true,
            },
            TemplateScale {
                code: "PSYCHOSOCIAL",
                name: t("Psychosocial support", "Soutien psychosocial"),
                higher_is_better: true,
            },
            TemplateScale {
                code: "ROLE_MODEL",
                name: t("Role model", "Modèle de rôle"),
                higher_is_better: true,
            },
        ],
        items: &[
            agree(
                "car1",
                "CAREER",
                t(
                    "My mentor helps me see which paths are open to me after my studies.",
                    "Mon mentor m'aide à voir les voies qui s'offrent à moi après mes études.",
                ),
            ),
            agree(
                "car2",
                "CAREER",
                t(
                    "My mentor puts me in touch with people who can help me progress.",
                    "Mon mentor me met en relation avec des personnes qui peuvent m'aider à progresser.",
                ),
            ),
            agree(
                "car3",
                "CAREER",
                t(
                    "My mentor suggests tasks or challenges that build my skills.",
                    "Mon mentor me propose des tâches ou des défis qui développent mes compétences.",
                ),
            ),
            agree(
                "car4",
                "CAREER",
                t(
                    "My mentor speaks up for me when opportunities arise.",
                    "Mon mentor me recommande quand des occasions se présentent.",
                ),
            ),
            agree(
                "psy1",
                "PSYCHOSOCIAL",
                t(
                    "My mentor encourages me when I doubt myself.",
                    "Mon mentor m'encourage quand je doute de moi.",
                ),
            ),
            agree(
                "psy2",
                "PSYCHOSOCIAL",
                t(
                    "I can share personal worries with my mentor.",
                    "Je peux confier mes préoccupations personnelles à mon mentor.",
                ),
            ),
            agree(
                "psy3",
                "PSYCHOSOCIAL",
                t(
                    "My mentor respects who I am.",
                    "Mon mentor respecte qui je suis.",
                ),
            ),
            disagree(
                "psy4",
                "PSYCHOSOCIAL",
                t(
                    "I feel that my mentor judges me.",
                    "J'ai le sentiment que mon mentor me juge.",
                ),
            ),
            agree(
                "rol1",
                "ROLE_MODEL",
                t(
                    "I would like to work the way my mentor works.",
                    "J'aimerais travailler comme mon mentor.",
                ),
            ),
            agree(
                "rol2",
                "ROLE_MODEL",
                t(
                    "I want to make my mentor's values my own.",
                    "Je souhaite faire miennes les valeurs de mon mentor.",
                ),
            ),
            agree(
                "rol3",
                "ROLE_MODEL",
                t(
                    "My mentor shows me how to face difficulties.",
                    "Mon mentor me montre comment faire face aux difficultés.",
                ),
            ),
        ],
    },
    Template {
        key: "session-feedback",
        construct: Construct::SessionFeedback,
        audience: Audience::Learners,
        name: t("Session feedback", "Retour sur la séance"),
        description: t(
            "A short check after a tutoring session.",
            "Un court retour après une séance de tutorat.",
        ),
        scales: &[TemplateScale {
            code: "SESSION",
            name: t("Session quality", "Qualité de la séance"),
            higher_is_better: true,
        }],
        items: &[
            agree(
                "ses1",
                "SESSION",
                t(
                    "The session helped me move forward with my work.",
                    "La séance m'a permis d'avancer dans mon travail.",
                ),
            ),
            agree(
                "ses2",
                "SESSION",
                t(
                    "The explanations were clear.",
                    "Les explications étaient claires.",
                ),
            ),
            agree(
                "ses3",
                "SESSION",
                t(
                    "I could ask every question I had.",
                    "J'ai pu poser toutes mes questions.",
                ),
            ),
            disagree(
                "ses4",
                "SESSION",
                t(
                    "The pace of the session was too fast for me.",
                    "Le rythme de la séance était trop rapide pour moi.",
                ),
            ),
            agree(
                "ses5",
                "SESSION",
                t(
                    "I know what to do before the next session.",
                    "Je sais ce que j'ai à faire d'ici la prochaine séance.",
                ),
            ),
            TemplateItem {
                code: "length",
                scale: None,
                kind: ItemKind::SingleChoice,
                points: None,
                labels: &[
                    t("Too short", "Trop courte"),
                    t("About right", "Adaptée"),
                    t("Too long", "Trop longue"),
                ],
                reverse_keyed: false,
                prompt: t(
                    "The length of the session was:",
                    "La durée de la séance était :",
                ),
            },
            open(
                "improve",
                t(
                    "What would make the next session more useful?",
                    "Qu'est-ce qui rendrait la prochaine séance plus utile ?",
                ),
            ),
        ],
    },
    Template {
        key: "training-reaction",
        construct: Construct::TrainingReaction,
        audience: Audience::Tutors,
        name: t(
            "Tutor training: reaction",
            "Formation des tuteurs : réaction",
        ),
        description: t(
            "The tutors' reaction to a training module (Kirkpatrick level 1): satisfaction, relevance and intention to apply.",
            "La réaction des tuteurs à un module de formation (niveau 1 de Kirkpatrick) : satisfaction, pertinence et intention d'appliquer.",
        ),
        scales: &[
            TemplateScale {
                code: "SATISFACTION",
                name: t("Satisfaction", "Satisfaction"),
                higher_is_better: true,
            },
            TemplateScale {
                code: "RELEVANCE",
                name: t("Relevance", "Pertinence"),
                higher_is_better: true,
            },
            TemplateScale {
                code: "APPLICATION",
                name: t("Intention to apply", "Intention d'appliquer"),
                higher_is_better: true,
            },
        ],
        items: &[
            agree(
                "sat1",
                "SATISFACTION",
                t(
                    "Overall, I am pleased with this training.",
                    "Dans l'ensemble, cette formation me satisfait.",
                ),
            ),
            agree(
                "sat2",
                "SATISFACTION",
                t(
                    "The way the training was run held my attention.",
                    "L'animation de la formation a retenu mon attention.",
                ),
            ),
            disagree(
                "sat3",
                "SATISFACTION",
                t(
                    "Parts of the training were a waste of my time.",
                    "Certaines parties de la formation m'ont fait perdre mon temps.",
                ),
            ),
            agree(
                "rel1",
                "RELEVANCE",
                t(
                    "The content matches situations I meet when I support learners.",
                    "Le contenu correspond aux situations que je rencontre dans mon accompagnement.",
                ),
            ),
            agree(
                "rel2",
                "RELEVANCE",
                t(
                    "The examples were close to the learners I support.",
                    "Les exemples étaient proches des personnes que j'accompagne.",
                ),
            ),
            agree(
                "rel3",
                "RELEVANCE",
                t(
                    "The training answered questions I actually have.",
                    "La formation a répondu à des questions que je me pose réellement.",
                ),
            ),
            agree(
                "app1",
                "APPLICATION",
                t(
                    "I intend to use what I learned in my next sessions.",
                    "J'ai l'intention d'utiliser ce que j'ai appris lors de mes prochaines séances.",
                ),
            ),
            agree(
                "app2",
                "APPLICATION",
                t(
                    "I know how I will put at least one idea from the training into practice.",
                    "Je sais comment je mettrai en pratique au moins une idée de la formation.",
                ),
            ),
            disagree(
                "app3",
                "APPLICATION",
                t(
                    "I doubt I will change anything in the way I tutor.",
                    "Je doute de changer quoi que ce soit à ma façon d'accompagner.",
                ),
            ),
            open(
                "comment",
                t(
                    "What would you change in this training?",
                    "Que changeriez-vous dans cette formation ?",
                ),
            ),
        ],
    },
    Template {
        key: "nps",
        construct: Construct::NetPromoter,
        audience: Audience::Learners,
        name: t("Net promoter score", "Indice de recommandation"),
        description: t(
            "Would the learner recommend the programme, and why.",
            "L'apprenant recommanderait-il le programme, et pourquoi.",
        ),
        scales: &[TemplateScale {
            code: "NPS",
            name: t("Recommendation", "Recommandation"),
            higher_is_better: true,
        }],
        items: &[
            TemplateItem {
                code: "nps",
                scale: Some("NPS"),
                kind: ItemKind::Nps,
                points: None,
                labels: &[],
                reverse_keyed: false,
                prompt: t(
                    "How likely are you to recommend this programme to someone you know?",
                    "Quelle est la probabilité que vous recommandiez ce programme à quelqu'un de votre entourage ?",
                ),
            },
            open(
                "reason",
                t(
                    "What is the main reason for your score?",
                    "Quelle est la raison principale de votre note ?",
                ),
            ),
        ],
    },
];

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn keys_and_codes_are_unique_and_every_scale_has_its_items() {
        let keys: HashSet<_> = TEMPLATES.iter().map(|t| t.key).collect();
        assert_eq!(keys.len(), TEMPLATES.len());

        for template in TEMPLATES {
            let key = template.key;
            let items: HashSet<_> = template.items.iter().map(|i| i.code).collect();
            assert_eq!(items.len(), template.items.len(), "{key}: item codes");
            let scales: HashSet<_> = template.scales.iter().map(|s| s.code).collect();
            assert_eq!(scales.len(), template.scales.len(), "{key}: scale codes");
            for item in template.items {
                if let Some(scale) = item.scale {
                    assert!(scales.contains(scale), "{key}.{}: scale {scale}", item.code);
                }
            }
            for scale in template.scales {
                let members: Vec<_> = template
                    .items
                    .iter()
                    .filter(|i| i.scale == Some(scale.code))
                    .collect();
                let nps = members.iter().all(|i| i.kind == ItemKind::Nps);
                assert!(
                    members.len() >= 3 || (nps && !members.is_empty()),
                    "{key}.{}: {} items",
                    scale.code,
                    members.len()
                );
            }
        }
    }

    #[test]
    fn only_likert_items_are_reverse_keyed_and_each_has_its_anchors() {
        for template in TEMPLATES {
            for item in template.items {
                let at = format!("{}.{}", template.key, item.code);
                if item.reverse_keyed {
                    assert_eq!(item.kind, ItemKind::Likert, "{at}");
                }
                if item.kind == ItemKind::Likert {
                    assert_eq!(item.points, Some(item.labels.len() as i32), "{at}");
                }
            }
        }
    }

    #[test]
    fn every_text_is_written_in_both_languages() {
        for template in TEMPLATES {
            let mut texts = vec![template.name, template.description];
            texts.extend(template.scales.iter().map(|s| s.name));
            for item in template.items {
                texts.push(item.prompt);
                texts.extend(item.labels.iter().copied());
            }
            for text in texts {
                assert!(!text.en.trim().is_empty(), "{}", template.key);
                assert!(!text.fr.trim().is_empty(), "{}: {}", template.key, text.en);
            }
        }
    }

    #[test]
    fn the_learner_and_tutor_relationship_instruments_are_parallel() {
        let learner = find("relationship-learner").expect("learner's version");
        let tutor = find("relationship-tutor").expect("tutor's version");
        let key = |t: &Template| -> Vec<_> {
            t.items
                .iter()
                .map(|i| (i.code, i.scale, i.kind, i.reverse_keyed))
                .collect()
        };

        assert_eq!(key(learner), key(tutor));
        assert_eq!(learner.scales[0].code, "RQ");
        assert_eq!(tutor.scales[0].code, "RQ");
        assert_eq!(learner.audience, Audience::Learners);
        assert_eq!(tutor.audience, Audience::Tutors);
    }

    #[test]
    fn every_template_passes_the_checks_of_questionnaire_creation() {
        for template in TEMPLATES {
            for language in Language::ALL {
                let input = template.to_input(language, None, QuestionnaireMode::Questionnaire);
                let problems = super::super::service::check(&input);
                assert!(problems.is_empty(), "{}: {problems:?}", template.key);
            }
        }
    }

    #[test]
    fn languages_are_read_from_their_codes() {
        assert_eq!(Language::parse(" FR "), Some(Language::Fr));
        assert_eq!(Language::parse("en"), Some(Language::En));
        assert_eq!(Language::parse("de"), None);
    }
}
