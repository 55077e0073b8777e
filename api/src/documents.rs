//! Parsed GraphQL documents, kept by their text.
//!
//! Clients send the same few documents over and over, each with new
//! variables; parsing one costs more than copying its syntax tree. Only
//! documents within the length limit that parse are kept, and the store
//! holds at most [`CAPACITY`] of them: when full it starts afresh, so a
//! client sending endless new documents costs a parse each, as without it,
//! and never more memory.

use std::collections::HashMap;
use std::sync::RwLock;

use async_graphql::BatchRequest;
use async_graphql::parser::types::ExecutableDocument;

/// Most documents kept at once.
pub const CAPACITY: usize = 256;

/// The documents parsed lately, by their text.
#[derive(Default)]
pub struct Documents(RwLock<HashMap<Box<str>, ExecutableDocument>>);

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
        if crate::limits::check_length(&request.query).is_err() {
            return;
        }
        let kept = self
            .0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(request.query.as_str())
            .cloned();
        if let Some(doc) = kept {
            request.set_parsed_query(doc);
            return;
        }
        let Ok(doc) = request.parsed_query() else {
            return;
        };
        let doc = doc.clone();
        let mut kept = self.0.write().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= CAPACITY {
            kept.clear();
        }
        kept.insert(request.query.as_str().into(), doc);
    }

    /// How many documents are kept.
    pub fn len(&self) -> usize {
        self.0.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
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
    fn a_document_past_the_length_limit_is_neither_parsed_nor_kept() {
        let documents = Documents::default();
        let long = format!(
            "{{ {} }}",
            "__typename ".repeat(crate::limits::MAX_DOCUMENT_BYTES)
        );
        let mut request = request(&long);
        documents.prepare_one(&mut request);
        assert!(documents.is_empty());
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
