//! Relay connections over id-ordered keyset pages.

use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields};
use async_graphql::{OutputType, Result};

use crate::error::ApiError;

pub const DEFAULT_PAGE: u64 = 20;
pub const MAX_PAGE: u64 = 100;

/// Complexity of a connection field: its children count once per row asked.
pub fn cost(first: Option<i32>, child_complexity: usize) -> usize {
    let rows = first.map_or(DEFAULT_PAGE, |n| {
        u64::try_from(n).unwrap_or(0).min(MAX_PAGE)
    });
    rows as usize * child_complexity + 1
}

/// The cursor of a row: its id, opaque to clients.
pub struct IdCursor(pub i64);

impl CursorType for IdCursor {
    type Error = String;

    fn decode_cursor(s: &str) -> Result<Self, String> {
        crate::ids::decode(&async_graphql::ID(s.to_owned()), "Cursor")
            .map(IdCursor)
            .map_err(|_| format!("`{s}` is not a cursor of this list"))
    }

    fn encode_cursor(&self) -> String {
        crate::ids::encode("Cursor", self.0).0
    }
}

/// Page size and starting point from `first` and `after`.
pub fn page(first: Option<i32>, after: Option<String>) -> Result<(u64, Option<i64>), ApiError> {
    let size = match first {
        None => DEFAULT_PAGE,
        Some(n) if n < 0 => return Err(ApiError::bad_input("`first` cannot be negative")),
        Some(n) => (n as u64).min(MAX_PAGE),
    };
    let after = after
        .map(|c| IdCursor::decode_cursor(&c).map(|c| c.0))
        .transpose()
        .map_err(ApiError::bad_input)?;
    Ok((size, after))
}

/// Builds a connection from rows fetched with one extra row of look-ahead.
pub fn connection<T: OutputType, R>(
    mut rows: Vec<R>,
    size: u64,
    after: Option<i64>,
    id: impl Fn(&R) -> i64,
    node: impl Fn(R) -> T,
) -> Connection<IdCursor, T, EmptyFields, EmptyFields> {
    let has_next = rows.len() as u64 > size;
    rows.truncate(size as usize);
    let mut connection = Connection::new(after.is_some(), has_next);
    connection.edges.extend(
        rows.into_iter()
            .map(|r| Edge::new(IdCursor(id(&r)), node(r))),
    );
    connection
}

pub type Page<T> = Connection<IdCursor, T, EmptyFields, EmptyFields>;
