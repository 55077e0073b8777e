//! Limits checked on the parsed document as soon as it is parsed, before
//! the schema sees it. The schema's own checks (recursion depth, then
//! validation) follow every fragment spread each time it appears, so a
//! document whose fragments double at each level (a "fragment bomb") would
//! cost time exponential in its length: 25 levels take 40 s of CPU. Here
//! each fragment is sized once, so the check is linear in the document.

use std::collections::HashMap;

use async_graphql::Name;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};

/// Most fields one operation may select, with its fragments written out.
pub const MAX_FIELDS: u64 = 1_000;
/// Most fields at the root of one operation, with its fragments written out.
pub const MAX_ROOT_FIELDS: u64 = 25;
/// Most aliases in one document.
pub const MAX_ALIASES: usize = 100;
/// Longest query document, in bytes. Parsing takes time in proportion to
/// the text (a long comment or string too) before any other limit can
/// look at it: 10 MB of comments held a core for most of a minute.
/// Data belongs in variables, which have no such cost.
pub const MAX_DOCUMENT_BYTES: usize = 100_000;

/// What is wrong with the length of `query`, if anything: checked before
/// the document is parsed.
pub fn check_length(query: &str) -> Result<(), String> {
    if query.trim().is_empty() {
        return Err("the request has no query: send the GraphQL document to run as `query`".into());
    }
    if query.len() > MAX_DOCUMENT_BYTES {
        return Err(format!(
            "the query document is {} bytes long; at most {MAX_DOCUMENT_BYTES} are accepted: send data as variables",
            query.len()
        ));
    }
    Ok(())
}

/// What is wrong with `document`, if anything.
pub fn check(document: &ExecutableDocument) -> Result<(), String> {
    let aliases = aliases(document);
    if aliases > MAX_ALIASES {
        return Err(format!(
            "the document has {aliases} aliases; at most {MAX_ALIASES} are accepted"
        ));
    }
    let mut sizes = Sizes {
        document,
        known: HashMap::new(),
        open: Vec::new(),
    };
    let operations: Vec<&SelectionSet> = match &document.operations {
        DocumentOperations::Single(op) => vec![&op.node.selection_set.node],
        DocumentOperations::Multiple(ops) => {
            ops.values().map(|op| &op.node.selection_set.node).collect()
        }
    };
    for root in operations {
        let (fields, at_root) = sizes.of(root)?;
        if at_root > MAX_ROOT_FIELDS {
            return Err(format!(
                "the operation selects {at_root} root fields; at most {MAX_ROOT_FIELDS} are accepted"
            ));
        }
        if fields > MAX_FIELDS {
            return Err(format!(
                "the operation selects {} fields once its fragments are written out; at most {MAX_FIELDS} are accepted",
                if fields == u64::MAX {
                    "too many".to_owned()
                } else {
                    fields.to_string()
                }
            ));
        }
    }
    Ok(())
}

/// Whether the document selects `__schema` or `__type` anywhere, in its
/// operations or its fragments.
pub fn introspects(document: &ExecutableDocument) -> bool {
    fn any(set: &SelectionSet) -> bool {
        set.items.iter().any(|item| match &item.node {
            Selection::Field(f) => {
                matches!(f.node.name.node.as_str(), "__schema" | "__type")
                    || any(&f.node.selection_set.node)
            }
            Selection::InlineFragment(i) => any(&i.node.selection_set.node),
            Selection::FragmentSpread(_) => false,
        })
    }
    let in_operations = match &document.operations {
        DocumentOperations::Single(op) => any(&op.node.selection_set.node),
        DocumentOperations::Multiple(ops) => {
            ops.values().any(|op| any(&op.node.selection_set.node))
        }
    };
    in_operations
        || document
            .fragments
            .values()
            .any(|f| any(&f.node.selection_set.node))
}

/// Fields given an alias anywhere in the document, as written.
fn aliases(document: &ExecutableDocument) -> usize {
    fn count(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => {
                    usize::from(f.node.alias.is_some()) + count(&f.node.selection_set.node)
                }
                Selection::InlineFragment(i) => count(&i.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let in_operations: usize = match &document.operations {
        DocumentOperations::Single(op) => count(&op.node.selection_set.node),
        DocumentOperations::Multiple(ops) => ops
            .values()
            .map(|op| count(&op.node.selection_set.node))
            .sum(),
    };
    let in_fragments: usize = document
        .fragments
        .values()
        .map(|f| count(&f.node.selection_set.node))
        .sum();
    in_operations + in_fragments
}

/// Sizes of selection sets with fragments written out, each fragment
/// sized once.
struct Sizes<'a> {
    document: &'a ExecutableDocument,
    /// Per fragment: fields in all, and fields at its top level.
    known: HashMap<&'a Name, (u64, u64)>,
    /// Fragments being sized, to catch a fragment that spreads itself.
    open: Vec<&'a Name>,
}

impl<'a> Sizes<'a> {
    /// Fields in all, and fields at the top level of `set`; sums saturate.
    fn of(&mut self, set: &'a SelectionSet) -> Result<(u64, u64), String> {
        let (mut all, mut top) = (0u64, 0u64);
        for item in &set.items {
            let (a, t) = match &item.node {
                Selection::Field(f) => {
                    let (inner, _) = self.of(&f.node.selection_set.node)?;
                    (inner.saturating_add(1), 1)
                }
                Selection::InlineFragment(i) => self.of(&i.node.selection_set.node)?,
                Selection::FragmentSpread(s) => self.fragment(&s.node.fragment_name.node)?,
            };
            all = all.saturating_add(a);
            top = top.saturating_add(t);
        }
        Ok((all, top))
    }

    fn fragment(&mut self, name: &'a Name) -> Result<(u64, u64), String> {
        if let Some(size) = self.known.get(name) {
            return Ok(*size);
        }
        if self.open.contains(&name) {
            return Err(format!("fragment {name} spreads itself"));
        }
        // An unknown fragment is validation's to report.
        let Some(fragment) = self.document.fragments.get(name) else {
            return Ok((0, 0));
        };
        self.open.push(name);
        let size = self.of(&fragment.node.selection_set.node)?;
        self.open.pop();
        self.known.insert(name, size);
        Ok(size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(query: &str) -> Result<(), String> {
        check(&async_graphql::parser::parse_query(query).unwrap())
    }

    #[test]
    fn fragments_count_once_per_spread() {
        let doubling = |levels: usize| {
            let mut q = String::from("{ ...F0 }\nfragment F0 on Query { __typename }\n");
            for i in 1..=levels {
                q.push_str(&format!(
                    "fragment F{i} on Query {{ ...F{p} ...F{p} }}\n",
                    p = i - 1
                ));
            }
            q.replace("{ ...F0 }\n", &format!("{{ x {{ ...F{levels} }} }}\n"))
        };
        assert!(checked(&doubling(9)).is_ok(), "513 fields");
        assert!(checked(&doubling(10)).unwrap_err().contains("1025 fields"));
        assert!(checked(&doubling(200)).unwrap_err().contains("too many"));
    }

    #[test]
    fn aliases_and_root_fields_are_bounded() {
        let aliased = |n: usize| {
            let fields: Vec<String> = (0..n).map(|i| format!("a{i}: __typename")).collect();
            format!("{{ x {{ {} }} }}", fields.join(" "))
        };
        assert!(checked(&aliased(100)).is_ok());
        assert!(checked(&aliased(101)).unwrap_err().contains("101 aliases"));
        let roots: Vec<String> = (0..26).map(|i| format!("f{i}")).collect();
        let wide = format!("{{ {} }}", roots.join(" "));
        assert!(checked(&wide).unwrap_err().contains("26 root fields"));
        assert!(checked("{ a b ...on Query { c } }").is_ok());
    }

    #[test]
    fn introspection_is_found_wherever_it_hides() {
        let parse = |q: &str| async_graphql::parser::parse_query(q).unwrap();

        assert!(introspects(&parse("{ __schema { types { name } } }")));
        assert!(introspects(&parse(
            "{ a: __type(name: \"Query\") { name } }"
        )));
        assert!(introspects(&parse(
            "{ ...F }\nfragment F on Query { ... on Query { __schema { queryType { name } } } }"
        )));
        assert!(introspects(&parse(
            "query A { __typename }\nquery B { __schema { types { name } } }"
        )));
        assert!(!introspects(&parse("{ __typename viewer { __typename } }")));
    }

    #[test]
    fn a_fragment_that_spreads_itself_is_refused_without_looping() {
        let looped = "{ ...A }\nfragment A on Query { x ...B }\nfragment B on Query { ...A }";
        assert!(checked(looped).unwrap_err().contains("spreads itself"));
    }
}
