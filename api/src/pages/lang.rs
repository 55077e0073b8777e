//! The languages of the pages, and their wording.

use crate::campaigns::answers::AnswerError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    /// From a language tag such as `fr`, `fr-CA` or `en-GB`; English unless French.
    pub fn from_tag(tag: &str) -> Self {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("fr") {
            Self::Fr
        } else {
            Self::En
        }
    }

    /// The first of our languages in an `Accept-Language` header, by weight.
    pub fn from_accept_language(header: &str) -> Self {
        let mut best: Option<(f32, Self)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or_default().trim();
            let weight = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or_default();
            let lang = if primary.eq_ignore_ascii_case("fr") {
                Self::Fr
            } else if primary.eq_ignore_ascii_case("en") {
                Self::En
            } else {
                continue;
            };
            if best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
        best.map_or(Self::En, |(_, lang)| lang)
    }

    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Fr => "fr",
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Self::En => &EN,
            Self::Fr => &FR,
        }
    }

    /// Why a value does not answer its item, worded for the respondent.
    pub fn answer_error(self, error: &AnswerError) -> String {
        let fr = self == Self::Fr;
        let num = |v: f64| {
            let s = v.to_string();
            if fr { s.replace('.', ",") } else { s }
        };
        match error {
            AnswerError::Required => self.texts().required_error.to_owned(),
            AnswerError::NotWhole { lo, hi, .. } if fr => {
                format!(
                    "Choisissez une valeur entière de {} à {}.",
                    num(*lo),
                    num(*hi)
                )
            }
            AnswerError::NotWhole { lo, hi, .. } => {
                format!("Choose a whole number from {} to {}.", num(*lo), num(*hi))
            }
            AnswerError::NotFinite => self.texts().not_a_number.to_owned(),
            AnswerError::OutOfBounds { min, max, .. } => match (min, max, fr) {
                (Some(lo), Some(hi), true) => {
                    format!("Saisissez un nombre de {} à {}.", num(*lo), num(*hi))
                }
                (Some(lo), Some(hi), false) => {
                    format!("Enter a number from {} to {}.", num(*lo), num(*hi))
                }
                (Some(lo), None, true) => format!("Saisissez un nombre d’au moins {}.", num(*lo)),
                (Some(lo), None, false) => format!("Enter a number of at least {}.", num(*lo)),
                (None, Some(hi), true) => format!("Saisissez un nombre d’au plus {}.", num(*hi)),
                (None, Some(hi), false) => format!("Enter a number of at most {}.", num(*hi)),
                (None, None, _) => self.texts().not_a_number.to_owned(),
            },
            AnswerError::NotAnOption(_) | AnswerError::WrongKind(_) => {
                self.texts().not_an_option.to_owned()
            }
            AnswerError::TooLong if fr => format!(
                "Votre réponse dépasse {} caractères : raccourcissez-la.",
                crate::campaigns::answers::MAX_TEXT
            ),
            AnswerError::TooLong => format!(
                "Your answer is longer than {} characters: please shorten it.",
                crate::campaigns::answers::MAX_TEXT
            ),
        }
    }
}

/// The fixed wording of the pages in one language.
pub struct Texts {
    pub required: &'static str,
    pub answer_before: &'static str,
    pub personal_link: &'static str,
    pub submit: &'static str,
    pub save: &'static str,
    pub saved: &'static str,
    pub saved_at: &'static str,
    pub problem: &'static str,
    pub problem_title: &'static str,
    pub required_error: &'static str,
    pub not_a_number: &'static str,
    pub not_an_option: &'static str,
    pub choose_one: &'static str,
    pub choose_any: &'static str,
    pub nps_hint: &'static str,
    pub number_hint_range: &'static str,
    pub thanks_title: &'static str,
    pub thanks_text: &'static str,
    pub used_title: &'static str,
    pub used_text: &'static str,
    pub closed_title: &'static str,
    pub closed_text: &'static str,
    pub not_open_title: &'static str,
    pub not_open_text: &'static str,
    pub not_open_later: &'static str,
    pub invalid_title: &'static str,
    pub invalid_text: &'static str,
    pub failure_title: &'static str,
    pub failure_text: &'static str,
    pub unsubscribe_title: &'static str,
    pub unsubscribe_text: &'static str,
    pub unsubscribe_button: &'static str,
    pub unsubscribed_title: &'static str,
    pub unsubscribed_text: &'static str,
    pub report_expired_title: &'static str,
    pub report_expired_text: &'static str,
    pub report_revoked_title: &'static str,
    pub report_revoked_text: &'static str,
    pub form_title: &'static str,
    pub form_unreadable: &'static str,
}

static EN: Texts = Texts {
    required: "(required)",
    answer_before: "Please answer before",
    personal_link: "This page is personal: do not share its address.",
    submit: "Send my answers",
    save: "Save and finish later",
    saved: "Your answers are saved. Come back with the same link to finish.",
    saved_at: "Saved",
    problem: "There is a problem",
    problem_title: "Error",
    required_error: "Please answer this question.",
    not_a_number: "Enter a number, for example 12 or 2.5.",
    not_an_option: "Choose one of the options shown.",
    choose_one: "Choose one.",
    choose_any: "Choose all that apply.",
    nps_hint: "0 = not at all likely, 10 = extremely likely.",
    number_hint_range: "A number from",
    thanks_title: "Thank you",
    thanks_text: "Your answers have been received. You can close this page.",
    used_title: "You have already answered",
    used_text: "Answers were sent with this link on",
    closed_title: "This questionnaire is closed",
    closed_text: "Answers were accepted until",
    not_open_title: "This questionnaire is not open yet",
    not_open_text: "It opens on",
    not_open_later: "Please come back then with the same link.",
    invalid_title: "This link does not work",
    invalid_text: "Check that you opened the whole link from the email. If it still does not work, reply to that email to ask for a new one.",
    failure_title: "Something went wrong",
    failure_text: "Nothing was lost. Please try again in a few minutes.",
    unsubscribe_title: "Stop reminders",
    unsubscribe_text: "Do you want to stop receiving reminders about this questionnaire?",
    unsubscribe_button: "Stop the reminders",
    unsubscribed_title: "Reminders stopped",
    unsubscribed_text: "You will receive no more reminders about this questionnaire. You can still answer with the link in your invitation until it closes.",
    report_expired_title: "This link has expired",
    report_expired_text: "Ask the person who sent it for a new link.",
    report_revoked_title: "This link has been withdrawn",
    report_revoked_text: "This link has been withdrawn by the person who shared it.",
    form_title: "Your answers could not be read",
    form_unreadable: "Nothing was stored. Go back to the questionnaire and send it again from the page.",
};

static FR: Texts = Texts {
    required: "(obligatoire)",
    answer_before: "Merci de répondre avant le",
    personal_link: "Cette page vous est personnelle : ne partagez pas son adresse.",
    submit: "Envoyer mes réponses",
    save: "Enregistrer et finir plus tard",
    saved: "Vos réponses sont enregistrées. Revenez avec le même lien pour terminer.",
    saved_at: "Enregistré",
    problem: "Il y a un problème",
    problem_title: "Erreur",
    required_error: "Merci de répondre à cette question.",
    not_a_number: "Saisissez un nombre, par exemple 12 ou 2,5.",
    not_an_option: "Choisissez l’une des réponses proposées.",
    choose_one: "Choisissez une réponse.",
    choose_any: "Choisissez toutes les réponses qui conviennent.",
    nps_hint: "0 = pas du tout probable, 10 = tout à fait probable.",
    number_hint_range: "Un nombre de",
    thanks_title: "Merci",
    thanks_text: "Vos réponses ont bien été reçues. Vous pouvez fermer cette page.",
    used_title: "Vous avez déjà répondu",
    used_text: "Des réponses ont été envoyées avec ce lien le",
    closed_title: "Ce questionnaire est clos",
    closed_text: "Les réponses étaient acceptées jusqu’au",
    not_open_title: "Ce questionnaire n’est pas encore ouvert",
    not_open_text: "Il ouvre le",
    not_open_later: "Revenez à cette date avec le même lien.",
    invalid_title: "Ce lien ne fonctionne pas",
    invalid_text: "Vérifiez que vous avez ouvert le lien complet du courriel. S’il ne fonctionne toujours pas, répondez à ce courriel pour en demander un nouveau.",
    failure_title: "Une erreur est survenue",
    failure_text: "Rien n’a été perdu. Réessayez dans quelques minutes.",
    unsubscribe_title: "Ne plus recevoir de relances",
    unsubscribe_text: "Voulez-vous ne plus recevoir de relances pour ce questionnaire ?",
    unsubscribe_button: "Arrêter les relances",
    unsubscribed_title: "Relances arrêtées",
    unsubscribed_text: "Vous ne recevrez plus de relance pour ce questionnaire. Vous pouvez encore répondre avec le lien de votre invitation jusqu’à sa clôture.",
    report_expired_title: "Ce lien a expiré",
    report_expired_text: "Demandez un nouveau lien à la personne qui vous l’a envoyé.",
    report_revoked_title: "Ce lien a été retiré",
    report_revoked_text: "Ce lien a été retiré par la personne qui l’a partagé.",
    form_title: "Vos réponses n’ont pas pu être lues",
    form_unreadable: "Rien n’a été enregistré. Revenez au questionnaire et envoyez-le de nouveau depuis la page.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_headers_pick_french_only_when_asked() {
        assert_eq!(Lang::from_tag("fr-CA"), Lang::Fr);
        assert_eq!(Lang::from_tag("en"), Lang::En);
        assert_eq!(Lang::from_tag("de"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("de-DE,fr;q=0.8,en;q=0.5"),
            Lang::Fr
        );
        assert_eq!(Lang::from_accept_language("en-GB,fr;q=0.9"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
    }

    #[test]
    fn errors_are_worded_in_the_page_language() {
        let e = AnswerError::OutOfBounds {
            given: 50.0,
            min: Some(0.0),
            max: Some(2.5),
        };

        assert_eq!(Lang::En.answer_error(&e), "Enter a number from 0 to 2.5.");
        assert_eq!(Lang::Fr.answer_error(&e), "Saisissez un nombre de 0 à 2,5.");
    }
}
