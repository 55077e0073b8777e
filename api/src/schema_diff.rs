//! What changed between two versions of the schema (SDL), and what each
//! change does to clients written against the older one:
//!
//! - BREAKING: a request that was valid may now fail, or a client may read
//!   a value it was promised it would not get (a null where there was none);
//! - DANGEROUS: valid requests still run, but a client may meet something
//!   new (an enum value, a union member) or get another default;
//! - SAFE: additions and deprecations; nothing a client relies on changes.
//!
//! The rules are those of graphql-js's `findBreakingChanges` and
//! `findDangerousChanges`. Descriptions are not compared.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{
    BaseType, FieldDefinition, InputValueDefinition, InterfaceType, ObjectType, SchemaDefinition,
    Type, TypeDefinition, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, Positioned, Value as ConstValue};

/// What a change does to existing clients; the most serious first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Breaking,
    Dangerous,
    Safe,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Breaking => "BREAKING",
            Self::Dangerous => "DANGEROUS",
            Self::Safe => "SAFE",
        }
    }
}

/// One difference: where it is (`Campaign.reports(first:)`) and what it is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub severity: Severity,
    pub path: String,
    pub message: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<9}  {}: {}",
            self.severity.as_str(),
            self.path,
            self.message
        )
    }
}

/// The changes from `old` to `new`, most serious first, or why either
/// document does not parse.
pub fn diff(old: &str, new: &str) -> Result<Vec<Change>, String> {
    let old = Schema::parse(old).map_err(|e| format!("the old schema: {e}"))?;
    let new = Schema::parse(new).map_err(|e| format!("the new schema: {e}"))?;
    let mut changes = Changes::default();
    changes.roots(&old.roots, &new.roots);
    changes.types(&old, &new);
    changes.directives(&old, &new);
    let mut list = changes.0;
    list.sort();
    Ok(list)
}

/// A report for people: the counts, then one line per change.
pub fn report(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "No schema changes.\n".into();
    }
    let count = |s: Severity| changes.iter().filter(|c| c.severity == s).count();
    let mut out = format!(
        "Schema changes: {} breaking, {} dangerous, {} safe\n",
        count(Severity::Breaking),
        count(Severity::Dangerous),
        count(Severity::Safe)
    );
    for change in changes {
        out.push_str(&format!("  {change}\n"));
    }
    out
}

/// The parts of a schema document that clients see, by name.
#[derive(Default)]
struct Schema {
    /// Query, mutation and subscription root type names.
    roots: [Option<String>; 3],
    types: BTreeMap<String, TypeDefinition>,
    directives: BTreeMap<String, async_graphql::parser::types::DirectiveDefinition>,
}

impl Schema {
    fn parse(sdl: &str) -> Result<Self, String> {
        let document = parse_schema(sdl).map_err(|e| e.to_string())?;
        let mut schema = Schema {
            roots: [Some("Query".into()), Some("Mutation".into()), None],
            ..Schema::default()
        };
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(s) => schema.set_roots(&s.node),
                TypeSystemDefinition::Type(t) => schema.add_type(t.node),
                TypeSystemDefinition::Directive(d) => {
                    schema
                        .directives
                        .insert(d.node.name.node.to_string(), d.node);
                }
            }
        }
        // Without a schema definition, roots go by their conventional names.
        for root in &mut schema.roots {
            if root.as_ref().is_some_and(|r| !schema.types.contains_key(r)) {
                *root = None;
            }
        }
        if schema.types.contains_key("Subscription") && schema.roots[2].is_none() {
            schema.roots[2] = Some("Subscription".into());
        }
        Ok(schema)
    }

    fn set_roots(&mut self, definition: &SchemaDefinition) {
        let name = |n: &Option<Positioned<Name>>| n.as_ref().map(|n| n.node.to_string());
        if let Some(query) = name(&definition.query) {
            self.roots[0] = Some(query);
        }
        if let Some(mutation) = name(&definition.mutation) {
            self.roots[1] = Some(mutation);
        }
        if let Some(subscription) = name(&definition.subscription) {
            self.roots[2] = Some(subscription);
        }
    }

    /// Adds a type, merging an `extend type` into the type it extends.
    fn add_type(&mut self, definition: TypeDefinition) {
        let name = definition.name.node.to_string();
        let Some(existing) = self.types.get_mut(&name) else {
            self.types.insert(name, definition);
            return;
        };
        match (&mut existing.kind, definition.kind) {
            (TypeKind::Object(a), TypeKind::Object(b)) => {
                a.fields.extend(b.fields);
                a.implements.extend(b.implements);
            }
            (TypeKind::Interface(a), TypeKind::Interface(b)) => {
                a.fields.extend(b.fields);
                a.implements.extend(b.implements);
            }
            (TypeKind::Union(a), TypeKind::Union(b)) => a.members.extend(b.members),
            (TypeKind::Enum(a), TypeKind::Enum(b)) => a.values.extend(b.values),
            (TypeKind::InputObject(a), TypeKind::InputObject(b)) => a.fields.extend(b.fields),
            _ => {}
        }
    }
}

/// Every type, field, argument, input field and enum value of `sdl` that
/// has no description, as `Type`, `Type.field`, `Type.field(argument)` or
/// `Enum.VALUE`, in the order of the document.
pub fn undocumented(sdl: &str) -> Result<Vec<String>, String> {
    let mut missing = Vec::new();
    for definition in parse_schema(sdl).map_err(|e| e.to_string())?.definitions {
        let TypeSystemDefinition::Type(t) = definition else {
            continue;
        };
        let t = t.node;
        let name = t.name.node.as_str();
        let mut parts = vec![(&t.description, name.to_owned())];
        match &t.kind {
            TypeKind::Object(ObjectType { fields, .. })
            | TypeKind::Interface(InterfaceType { fields, .. }) => {
                for field in fields.iter().map(|f| &f.node) {
                    let path = format!("{name}.{}", field.name.node);
                    parts.push((&field.description, path.clone()));
                    for argument in field.arguments.iter().map(|a| &a.node) {
                        let at = format!("{path}({})", argument.name.node);
                        parts.push((&argument.description, at));
                    }
                }
            }
            TypeKind::InputObject(i) => parts.extend(
                i.fields
                    .iter()
                    .map(|f| (&f.node.description, format!("{name}.{}", f.node.name.node))),
            ),
            TypeKind::Enum(e) => parts.extend(
                e.values
                    .iter()
                    .map(|v| (&v.node.description, format!("{name}.{}", v.node.value.node))),
            ),
            TypeKind::Scalar | TypeKind::Union(_) => {}
        }
        let described =
            |d: &Option<Positioned<String>>| d.as_ref().is_some_and(|d| !d.node.trim().is_empty());
        missing.extend(
            parts
                .into_iter()
                .filter(|(d, _)| !described(d))
                .map(|(_, path)| path),
        );
    }
    Ok(missing)
}

fn kind_name(kind: &TypeKind) -> &'static str {
    match kind {
        TypeKind::Scalar => "scalar",
        TypeKind::Object(_) => "object type",
        TypeKind::Interface(_) => "interface",
        TypeKind::Union(_) => "union",
        TypeKind::Enum(_) => "enum",
        TypeKind::InputObject(_) => "input object",
    }
}

/// The reason of a `@deprecated` directive, if there is one.
fn deprecation(
    directives: &[Positioned<async_graphql::parser::types::ConstDirective>],
) -> Option<String> {
    directives
        .iter()
        .find(|d| d.node.name.node == "deprecated")
        .map(|d| match d.node.get_argument("reason").map(|r| &r.node) {
            Some(ConstValue::String(reason)) => reason.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        })
}

/// Whether a field's value of type `new` is always a value of type `old`:
/// a field may promise more (become non-null), never less.
fn output_safe(old: &Type, new: &Type) -> bool {
    if !old.nullable && new.nullable {
        return false;
    }
    match (&old.base, &new.base) {
        (BaseType::Named(a), BaseType::Named(b)) => a == b,
        (BaseType::List(a), BaseType::List(b)) => output_safe(a, b),
        _ => false,
    }
}

/// Whether every value a client could send as `old` is still accepted as
/// `new`: an input may ask for less (become nullable), never more.
fn input_safe(old: &Type, new: &Type) -> bool {
    if old.nullable && !new.nullable {
        return false;
    }
    match (&old.base, &new.base) {
        (BaseType::Named(a), BaseType::Named(b)) => a == b,
        (BaseType::List(a), BaseType::List(b)) => input_safe(a, b),
        _ => false,
    }
}

/// An input a client must send: non-null and without a default.
fn required(input: &InputValueDefinition) -> bool {
    !input.ty.node.nullable && input.default_value.is_none()
}

#[derive(Default)]
struct Changes(Vec<Change>);

impl Changes {
    fn push(&mut self, severity: Severity, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Change {
            severity,
            path: path.into(),
            message: message.into(),
        });
    }

    fn roots(&mut self, old: &[Option<String>; 3], new: &[Option<String>; 3]) {
        for (i, operation) in ["query", "mutation", "subscription"].iter().enumerate() {
            match (&old[i], &new[i]) {
                (Some(a), Some(b)) if a != b => self.push(
                    Severity::Breaking,
                    "schema",
                    format!("the {operation} root changed from {a} to {b}"),
                ),
                (Some(a), None) => self.push(
                    Severity::Breaking,
                    "schema",
                    format!("the {operation} root {a} was removed"),
                ),
                (None, Some(b)) => self.push(
                    Severity::Safe,
                    "schema",
                    format!("the {operation} root {b} was added"),
                ),
                _ => {}
            }
        }
    }

    fn types(&mut self, old: &Schema, new: &Schema) {
        for (name, before) in &old.types {
            let Some(after) = new.types.get(name) else {
                let what = kind_name(&before.kind);
                self.push(Severity::Breaking, name, format!("{what} removed"));
                continue;
            };
            self.type_pair(name, before, after);
        }
        for (name, after) in &new.types {
            if !old.types.contains_key(name) {
                let what = kind_name(&after.kind);
                self.push(Severity::Safe, name, format!("{what} added"));
            }
        }
    }

    fn type_pair(&mut self, name: &str, before: &TypeDefinition, after: &TypeDefinition) {
        match (&before.kind, &after.kind) {
            (TypeKind::Object(a), TypeKind::Object(b)) => {
                self.interfaces(name, &a.implements, &b.implements);
                self.fields(name, &a.fields, &b.fields);
            }
            (TypeKind::Interface(a), TypeKind::Interface(b)) => {
                self.interfaces(name, &a.implements, &b.implements);
                self.fields(name, &a.fields, &b.fields);
            }
            (TypeKind::Union(a), TypeKind::Union(b)) => {
                let old = names(&a.members);
                let new = names(&b.members);
                for gone in old.difference(&new) {
                    self.push(Severity::Breaking, name, format!("member {gone} removed"));
                }
                for added in new.difference(&old) {
                    // Clients that handle every member meet one they do not know.
                    self.push(Severity::Dangerous, name, format!("member {added} added"));
                }
            }
            (TypeKind::Enum(a), TypeKind::Enum(b)) => {
                let old: BTreeMap<String, _> = a
                    .values
                    .iter()
                    .map(|v| (v.node.value.node.to_string(), &v.node))
                    .collect();
                let new: BTreeMap<String, _> = b
                    .values
                    .iter()
                    .map(|v| (v.node.value.node.to_string(), &v.node))
                    .collect();
                for (value, definition) in &old {
                    let path = format!("{name}.{value}");
                    match new.get(value) {
                        None => self.push(Severity::Breaking, path, "enum value removed"),
                        Some(now) => self.deprecations(
                            &path,
                            deprecation(&definition.directives),
                            deprecation(&now.directives),
                        ),
                    }
                }
                for value in new.keys().filter(|v| !old.contains_key(*v)) {
                    // Output enums: a client switching over every value meets a new one.
                    self.push(
                        Severity::Dangerous,
                        format!("{name}.{value}"),
                        "enum value added",
                    );
                }
            }
            (TypeKind::InputObject(a), TypeKind::InputObject(b)) => {
                self.inputs(name, "input field", &a.fields, &b.fields);
            }
            (TypeKind::Scalar, TypeKind::Scalar) => {}
            (a, b) => self.push(
                Severity::Breaking,
                name,
                format!("changed from {} to {}", kind_name(a), kind_name(b)),
            ),
        }
    }

    fn interfaces(&mut self, name: &str, old: &[Positioned<Name>], new: &[Positioned<Name>]) {
        let (old, new) = (names(old), names(new));
        for gone in old.difference(&new) {
            self.push(
                Severity::Breaking,
                name,
                format!("no longer implements {gone}"),
            );
        }
        for added in new.difference(&old) {
            self.push(Severity::Dangerous, name, format!("now implements {added}"));
        }
    }

    fn fields(
        &mut self,
        name: &str,
        old: &[Positioned<FieldDefinition>],
        new: &[Positioned<FieldDefinition>],
    ) {
        let new_fields: BTreeMap<&str, &FieldDefinition> = new
            .iter()
            .map(|f| (f.node.name.node.as_str(), &f.node))
            .collect();
        let old_names: BTreeSet<&str> = old.iter().map(|f| f.node.name.node.as_str()).collect();
        for field in old.iter().map(|f| &f.node) {
            let path = format!("{name}.{}", field.name.node);
            let Some(now) = new_fields.get(field.name.node.as_str()) else {
                self.push(Severity::Breaking, path, "field removed");
                continue;
            };
            let (was, is) = (&field.ty.node, &now.ty.node);
            if was != is {
                let severity = if output_safe(was, is) {
                    Severity::Safe
                } else {
                    Severity::Breaking
                };
                self.push(
                    severity,
                    path.clone(),
                    format!("type changed from {was} to {is}"),
                );
            }
            self.deprecations(
                &path,
                deprecation(&field.directives),
                deprecation(&now.directives),
            );
            let args = format!("{path}(");
            self.inputs(&args, "argument", &field.arguments, &now.arguments);
        }
        for field in new.iter().map(|f| &f.node) {
            if !old_names.contains(field.name.node.as_str()) {
                let path = format!("{name}.{}", field.name.node);
                self.push(Severity::Safe, path, "field added");
            }
        }
    }

    /// Arguments (under `owner` ending in `(`) or input fields (under a
    /// type name) compared.
    fn inputs(
        &mut self,
        owner: &str,
        what: &str,
        old: &[Positioned<InputValueDefinition>],
        new: &[Positioned<InputValueDefinition>],
    ) {
        let path = |name: &Name| match owner.strip_suffix('(') {
            Some(field) => format!("{field}({name}:)"),
            None => format!("{owner}.{name}"),
        };
        let new_inputs: BTreeMap<&str, &InputValueDefinition> = new
            .iter()
            .map(|i| (i.node.name.node.as_str(), &i.node))
            .collect();
        let old_names: BTreeSet<&str> = old.iter().map(|i| i.node.name.node.as_str()).collect();
        for input in old.iter().map(|i| &i.node) {
            let at = path(&input.name.node);
            let Some(now) = new_inputs.get(input.name.node.as_str()) else {
                self.push(Severity::Breaking, at, format!("{what} removed"));
                continue;
            };
            let (was, is) = (&input.ty.node, &now.ty.node);
            if was != is {
                let severity = if input_safe(was, is) {
                    Severity::Safe
                } else {
                    Severity::Breaking
                };
                self.push(
                    severity,
                    at.clone(),
                    format!("type changed from {was} to {is}"),
                );
            }
            let default =
                |i: &InputValueDefinition| i.default_value.as_ref().map(|v| v.node.to_string());
            match (default(input), default(now)) {
                (Some(a), None) if !is.nullable => self.push(
                    Severity::Breaking,
                    at.clone(),
                    format!("default {a} removed: the {what} is now required"),
                ),
                (a, b) if a != b => self.push(
                    Severity::Dangerous,
                    at.clone(),
                    format!(
                        "default changed from {} to {}",
                        a.as_deref().unwrap_or("none"),
                        b.as_deref().unwrap_or("none")
                    ),
                ),
                _ => {}
            }
            self.deprecations(
                &at,
                deprecation(&input.directives),
                deprecation(&now.directives),
            );
        }
        for input in new.iter().map(|i| &i.node) {
            if old_names.contains(input.name.node.as_str()) {
                continue;
            }
            let at = path(&input.name.node);
            if required(input) {
                self.push(Severity::Breaking, at, format!("required {what} added"));
            } else {
                self.push(Severity::Safe, at, format!("optional {what} added"));
            }
        }
    }

    fn deprecations(&mut self, path: &str, before: Option<String>, after: Option<String>) {
        match (before, after) {
            (None, Some(reason)) if reason.is_empty() => {
                self.push(Severity::Safe, path, "deprecated")
            }
            (None, Some(reason)) => {
                self.push(Severity::Safe, path, format!("deprecated: {reason}"))
            }
            (Some(_), None) => self.push(Severity::Safe, path, "no longer deprecated"),
            _ => {}
        }
    }

    fn directives(&mut self, old: &Schema, new: &Schema) {
        for (name, before) in &old.directives {
            let path = format!("@{name}");
            let Some(after) = new.directives.get(name) else {
                self.push(Severity::Breaking, path, "directive removed");
                continue;
            };
            let locations =
                |d: &async_graphql::parser::types::DirectiveDefinition| -> BTreeSet<String> {
                    d.locations
                        .iter()
                        .map(|l| format!("{:?}", l.node))
                        .collect()
                };
            for gone in locations(before).difference(&locations(after)) {
                self.push(
                    Severity::Breaking,
                    path.clone(),
                    format!("location {gone} removed"),
                );
            }
            if before.is_repeatable && !after.is_repeatable {
                self.push(Severity::Breaking, path.clone(), "no longer repeatable");
            }
            let args = format!("{path}(");
            self.inputs(&args, "argument", &before.arguments, &after.arguments);
        }
        for name in new
            .directives
            .keys()
            .filter(|n| !old.directives.contains_key(*n))
        {
            self.push(Severity::Safe, format!("@{name}"), "directive added");
        }
    }
}

fn names(list: &[Positioned<Name>]) -> BTreeSet<String> {
    list.iter().map(|n| n.node.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
        type Query { campaign(id: ID!, first: Int = 10): Campaign node(id: ID!): Node }
        interface Node { id: ID! }
        type Campaign implements Node { id: ID! name: String! status: Status score: Float }
        enum Status { DRAFT OPEN CLOSED }
        union Result = Campaign
        input CampaignInput { name: String! note: String }
        type Mutation { create(input: CampaignInput!): Campaign }
    "#;

    /// The changes from BASE to BASE edited by `edit` (from, to).
    fn changes(edits: &[(&str, &str)]) -> Vec<(Severity, String, String)> {
        let mut new = BASE.to_owned();
        for (from, to) in edits {
            assert!(new.contains(from), "{from} is not in the base schema");
            new = new.replacen(from, to, 1);
        }
        diff(BASE, &new)
            .unwrap()
            .into_iter()
            .map(|c| (c.severity, c.path, c.message))
            .collect()
    }

    fn one(severity: Severity, path: &str, message: &str) -> Vec<(Severity, String, String)> {
        vec![(severity, path.into(), message.into())]
    }

    #[test]
    fn the_same_schema_has_no_changes() {
        assert_eq!(diff(BASE, BASE).unwrap(), vec![]);
        assert_eq!(report(&[]), "No schema changes.\n");
    }

    #[test]
    fn removals_break_clients() {
        assert_eq!(
            changes(&[("name: String! status", "status")]),
            one(Severity::Breaking, "Campaign.name", "field removed")
        );
        assert_eq!(
            changes(&[("union Result = Campaign", "")]),
            one(Severity::Breaking, "Result", "union removed")
        );
        assert_eq!(
            changes(&[("OPEN CLOSED", "OPEN")]),
            one(Severity::Breaking, "Status.CLOSED", "enum value removed")
        );
        assert_eq!(
            changes(&[(", first: Int = 10)", ")")]),
            one(
                Severity::Breaking,
                "Query.campaign(first:)",
                "argument removed"
            )
        );
        assert_eq!(
            changes(&[(" note: String }", " }")]),
            one(
                Severity::Breaking,
                "CampaignInput.note",
                "input field removed"
            )
        );
        assert_eq!(
            changes(&[("Campaign implements Node", "Campaign")]),
            one(Severity::Breaking, "Campaign", "no longer implements Node")
        );
    }

    #[test]
    fn nullability_breaks_outputs_that_loosen_and_inputs_that_tighten() {
        assert_eq!(
            changes(&[("name: String!", "name: String")]),
            one(
                Severity::Breaking,
                "Campaign.name",
                "type changed from String! to String"
            )
        );
        assert_eq!(
            changes(&[("score: Float", "score: Float!")]),
            one(
                Severity::Safe,
                "Campaign.score",
                "type changed from Float to Float!"
            )
        );
        assert_eq!(
            changes(&[("note: String", "note: String!")]),
            one(
                Severity::Breaking,
                "CampaignInput.note",
                "type changed from String to String!"
            )
        );
        assert_eq!(
            changes(&[("campaign(id: ID!", "campaign(id: ID")]),
            one(
                Severity::Safe,
                "Query.campaign(id:)",
                "type changed from ID! to ID"
            )
        );
        assert_eq!(
            changes(&[("score: Float", "score: [Float]")]),
            one(
                Severity::Breaking,
                "Campaign.score",
                "type changed from Float to [Float]"
            )
        );
        assert_eq!(
            changes(&[("score: Float", "score: Int!")]),
            one(
                Severity::Breaking,
                "Campaign.score",
                "type changed from Float to Int!"
            )
        );
    }

    #[test]
    fn new_required_inputs_break_and_optional_ones_do_not() {
        assert_eq!(
            changes(&[("first: Int = 10)", "first: Int = 10, org: ID!)")]),
            one(
                Severity::Breaking,
                "Query.campaign(org:)",
                "required argument added"
            )
        );
        assert_eq!(
            changes(&[("first: Int = 10)", "first: Int = 10, org: ID! = \"1\")")]),
            one(
                Severity::Safe,
                "Query.campaign(org:)",
                "optional argument added"
            )
        );
        assert_eq!(
            changes(&[(" note: String }", " note: String owner: ID! }")]),
            one(
                Severity::Breaking,
                "CampaignInput.owner",
                "required input field added"
            )
        );
        assert_eq!(
            changes(&[(" note: String }", " note: String tags: [String!] }")]),
            one(
                Severity::Safe,
                "CampaignInput.tags",
                "optional input field added"
            )
        );
    }

    #[test]
    fn additions_are_safe_or_dangerous_when_clients_switch_over_them() {
        assert_eq!(
            changes(&[("score: Float }", "score: Float reports: [String!]! }")]),
            one(Severity::Safe, "Campaign.reports", "field added")
        );
        assert_eq!(
            changes(&[("enum Status", "scalar Upload enum Status")]),
            one(Severity::Safe, "Upload", "scalar added")
        );
        assert_eq!(
            changes(&[("OPEN CLOSED", "OPEN CLOSED ARCHIVED")]),
            one(Severity::Dangerous, "Status.ARCHIVED", "enum value added")
        );
        assert_eq!(
            changes(&[
                ("= Campaign", "= Campaign | Other"),
                ("enum Status", "type Other { a: Int } enum Status")
            ]),
            vec![
                (
                    Severity::Dangerous,
                    "Result".into(),
                    "member Other added".into()
                ),
                (Severity::Safe, "Other".into(), "object type added".into()),
            ]
        );
        assert_eq!(
            changes(&[("first: Int = 10", "first: Int = 20")]),
            one(
                Severity::Dangerous,
                "Query.campaign(first:)",
                "default changed from 10 to 20"
            )
        );
    }

    #[test]
    fn kinds_roots_deprecations_and_directives_are_compared() {
        assert_eq!(
            changes(&[("union Result = Campaign", "scalar Result")]),
            one(Severity::Breaking, "Result", "changed from union to scalar")
        );
        assert_eq!(
            changes(&[(
                "name: String!",
                "name: String! @deprecated(reason: \"use title\")"
            )]),
            one(Severity::Safe, "Campaign.name", "deprecated: use title")
        );
        let with_directive =
            format!("{BASE} directive @cost(weight: Int!) on FIELD_DEFINITION | OBJECT");
        let narrowed = with_directive.replace(" | OBJECT", "");
        let found = diff(&with_directive, &narrowed).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "@cost");
        assert_eq!(found[0].severity, Severity::Breaking);
        let renamed = format!(
            "schema {{ query: Root }} {}",
            BASE.replace("type Query", "type Root")
        );
        let found = diff(BASE, &renamed).unwrap();
        assert_eq!(found[0].severity, Severity::Breaking);
        assert!(
            found
                .iter()
                .any(|c| c.message == "the query root changed from Query to Root")
        );
    }

    #[test]
    fn the_report_counts_and_lists_the_most_serious_first() {
        let found = diff(
            BASE,
            &BASE
                .replace("score: Float }", "score: Float extra: Int }")
                .replace(" status: Status", ""),
        )
        .unwrap();

        let text = report(&found);

        assert_eq!(
            text,
            "Schema changes: 1 breaking, 0 dangerous, 1 safe\n  \
             BREAKING   Campaign.status: field removed\n  \
             SAFE       Campaign.extra: field added\n"
        );
        assert!(
            diff("type Query {", BASE)
                .unwrap_err()
                .starts_with("the old schema")
        );
    }

    #[test]
    fn undescribed_parts_are_listed_in_the_order_of_the_document() {
        let sdl = r#"
            "A thing." type Thing { "Its name." name(
                short: Boolean
                "In this language." language: String
            ): String size: Int }
            input Filter { "Shortest." min: Int max: Int }
            "Colours." enum Colour { "Red." RED BLUE }
            scalar Date
        "#;

        let missing = undocumented(sdl).unwrap();

        let expected = [
            "Thing.name(short)",
            "Thing.size",
            "Filter",
            "Filter.max",
            "Colour.BLUE",
            "Date",
        ];
        assert_eq!(missing, expected);
    }
}
