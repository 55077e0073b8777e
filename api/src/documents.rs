//! Parsed GraphQL documents, kept by their text.
//!
//! Clients send the same few documents over and over, each with new
//! variables; parsing one costs more than copying its syntax tree. Only
//! documents of at most [`MAX_KEPT_BYTES`] that parse and pass the limits
//! are kept, at most [`CAPACITY`] of them and [`BUDGET_BYTES`] of text in
//! all: a tree takes about a hundred times its text. When full the store
//! starts afresh, so a client sending endless new documents costs a parse
//! each, as without it, and a bounded amount of memory.

use std::collections::HashMap;
use std::sync::RwLock;

use async_graphql::BatchRequest;
use async_graphql::parser::types::ExecutableDocument;

/// Most documents kept at once.
pub const CAPACITY: usize = 256;
/// Longest document kept; a client's documents are a few kilobytes.
pub const MAX_KEPT_BYTES: usize = 16 * 1024;
/// Most text kept in all.
pub const BUDGET_BYTES: usize = 256 * 1024;

/// The documents parsed lately, by their text.
#[derive(Default)]
pub struct Documents(RwLock<Kept>);

#[derive(Default)]
struct Kept {
    by_text: HashMap<Box<str>, ExecutableDocument>,
    bytes: usize,
}

impl Documents {
    /// Gives each request of `batch` its parsed document, from the store
    /// when its text was seen before.
    pub fn prepare(&self, batch: &mut BatchRequest) {
        for request in batch.iter_mut() {
            self.prepare_one(request);
        }
    }

    /// Gives `request` its parsed document, from the store when its text
    /// was seen before. A document too long to look at is left alone, for
    /// the limits to refuse.
    pub fn prepare_one(&self, request: &mut async_graphql::Request) {
        let text = request.query.as_str();
        if text.len() > MAX_KEPT_BYTES || crate::limits::check_length(text).is_err() {
            return;
        }
        let kept = self
            .0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .by_text
            .get(text)
            .cloned();
        if let Some(doc) = kept {
            request.set_parsed_query(doc);
            return;
        }
        let Ok(doc) = request.parsed_query() else {
            return;
        };
        if crate::limits::check(doc).is_err() {
            return;
        }
        let doc = doc.clone();
        let text: Box<str> = request.query.as_str().into();
        let mut kept = self.0.write().unwrap_or_else(|e| e.into_inner());
        if kept.by_text.len() >= CAPACITY || kept.bytes + text.len() > BUDGET_BYTES {
            *kept = Kept::default();
        }
        let len = text.len();
        // Another request may have kept the same text meanwhile.
        if kept.by_text.insert(text, doc).is_none() {
            kept.bytes += len;
        }
    }

    /// How many documents are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .by_text
            .len()
    }

    /// How many bytes of text are kept.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.0.read().unwrap_or_else(|e| e.into_inner()).bytes
    }

    /// Whether none is.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str) -> async_graphql::Request {
        async_graphql::Request::new(query)
    }

    #[test]
    fn a_document_seen_before_comes_from_the_store_as_parsed() {
        let documents = Documents::default();
        let text = "query($id: ID!) { node(id: $id) { id } }";
        let mut first = request(text);
        documents.prepare_one(&mut first);
        assert_eq!(documents.len(), 1);

        let mut again = request(text);
        documents.prepare_one(&mut again);
        assert_eq!(documents.len(), 1);
        let parsed = format!("{:?}", again.parsed_query().unwrap());
        let fresh = format!("{:?}", async_graphql::parser::parse_query(text).unwrap());
        assert_eq!(parsed, fresh);
    }

    #[test]
    fn a_document_that_does_not_parse_is_not_kept() {
        let documents = Documents::default();
        let mut broken = request("query { node(id: ");
        documents.prepare_one(&mut broken);
        assert!(documents.is_empty());
        assert!(
            broken.parsed_query().is_err(),
            "left for the schema to refuse"
        );
    }

    #[test]
    fn a_long_document_or_one_the_limits_refuse_is_not_kept() {
        let documents = Documents::default();
        let long = format!("{{ {} }}", "__typename ".repeat(MAX_KEPT_BYTES / 8));
        documents.prepare_one(&mut request(&long));
        let wide = format!("{{ {} }}", "__typename ".repeat(100));
        let mut wide = request(&wide);
        documents.prepare_one(&mut wide);
        assert!(documents.is_empty());
        assert!(
            wide.parsed_query().is_ok(),
            "parsed, for the limits to refuse"
        );
    }

    #[test]
    fn the_text_kept_stays_within_its_budget() {
        let documents = Documents::default();
        let padding = " ".repeat(MAX_KEPT_BYTES - 100);
        for n in 0..100 {
            documents.prepare_one(&mut request(&format!("{{ a{n}: __typename {padding} }}")));
            assert!(documents.bytes() <= BUDGET_BYTES);
        }
        assert!(documents.len() <= BUDGET_BYTES / (MAX_KEPT_BYTES - 100));
    }

    #[test]
    fn a_full_store_starts_afresh_rather_than_grow() {
        let documents = Documents::default();
        for n in 0..CAPACITY {
            documents.prepare_one(&mut request(&format!("{{ a{n}: __typename }}")));
        }
        assert_eq!(documents.len(), CAPACITY);
        documents.prepare_one(&mut request("{ last: __typename }"));
        assert_eq!(documents.len(), 1);
    }
}
