//! Relay global IDs: `base64url("Type:id")`, opaque to clients.

pub use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ApiError;

pub fn encode(kind: &str, id: i64) -> ID {
    // One encoding for the API and the webhooks the worker sends.
    ID(worker::webhooks::global_id(kind, id))
}

/// The type name and database id behind a global ID.
pub fn decode_any(id: &ID) -> Result<(String, i64), ApiError> {
    let bad = || ApiError::bad_input(format!("`{}` is not a valid id", shown(id.as_str())));
    let bytes = URL_SAFE_NO_PAD.decode(id.as_str()).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (kind, raw) = text.split_once(':').ok_or_else(bad)?;
    let number: i64 = raw.parse().map_err(|_| bad())?;
    // One object, one id: `Campaign:01` or `Campaign:+1` would name
    // campaign 1 under an id that clients' caches take for another.
    if number.to_string() != raw {
        return Err(bad());
    }
    Ok((kind.to_owned(), number))
}

/// An id as quoted back in an error: a long one is cut, so that an error
/// never grows with what a client sent.
fn shown(id: &str) -> std::borrow::Cow<'_, str> {
    const LONGEST: usize = 64;
    match id.char_indices().nth(LONGEST) {
        Some((end, _)) => format!("{}…", &id[..end]).into(),
        None => id.into(),
    }
}

/// The database id behind a global ID that must be of type `kind`.
pub fn decode(id: &ID, kind: &'static str) -> Result<i64, ApiError> {
    let (found, number) = decode_any(id)?;
    if found != kind {
        let article = if kind.starts_with(['A', 'E', 'I', 'O', 'U']) {
            "an"
        } else {
            "a"
        };
        return Err(ApiError::bad_input(format!(
            "expected the id of {article} {kind}"
        )));
    }
    Ok(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_other_types_and_garbage() {
        let id = encode("Campaign", 42);

        assert_eq!(decode(&id, "Campaign").ok(), Some(42));
        assert!(decode(&id, "Person").is_err());
        assert!(decode(&ID("%%%".into()), "Campaign").is_err());
        for alias in ["Campaign:042", "Campaign:+42", "Campaign: 42"] {
            let aliased = ID(URL_SAFE_NO_PAD.encode(alias));
            assert!(decode(&aliased, "Campaign").is_err(), "{alias}");
        }
        let long = "é".repeat(100_000);
        let message = async_graphql::Error::from(decode_any(&ID(long)).unwrap_err()).message;
        assert_eq!(
            message.chars().count(),
            64 + "`…` is not a valid id".chars().count()
        );
    }
}
