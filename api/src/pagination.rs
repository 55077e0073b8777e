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

/// Builds an id-ordered connection from rows fetched with one row of look-ahead.
pub fn connection<T: OutputType, R>(
    rows: Vec<R>,
    size: u64,
    after: Option<i64>,
    id: impl Fn(&R) -> i64,
    node: impl Fn(R) -> T,
) -> Connection<IdCursor, T, EmptyFields, EmptyFields> {
    sorted_connection(rows, size, after.is_some(), |r| IdCursor(id(r)), node)
}

pub type Page<T> = Connection<IdCursor, T, EmptyFields, EmptyFields>;

/// One page of `query` in `order` of the `id` column: the rows past the
/// cursor, read with one row of look-ahead.
pub async fn id_page<E, T>(
    db: &sea_orm::DatabaseConnection,
    query: sea_orm::Select<E>,
    (id, order): (E::Column, sea_orm::Order),
    (first, after): (Option<i32>, Option<String>),
    id_of: impl Fn(&E::Model) -> i64,
    node: impl Fn(E::Model) -> T,
) -> Result<Page<T>, ApiError>
where
    E: sea_orm::EntityTrait,
    T: OutputType,
{
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    let (size, after) = page(first, after)?;
    let mut query = query.order_by(id, order.clone()).limit(size + 1);
    if let Some(after) = after {
        query = match order {
            sea_orm::Order::Desc => query.filter(id.lt(after)),
            _ => query.filter(id.gt(after)),
        };
    }
    let rows = query.all(db).await?;
    Ok(connection(rows, size, after, id_of, node))
}

/// The cursor of a row in a list sorted by a key, ties broken by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortCursor {
    pub key: i64,
    pub id: i64,
}

impl CursorType for SortCursor {
    type Error = String;

    fn decode_cursor(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a cursor of this list");
        let (kind, id) =
            crate::ids::decode_any(&async_graphql::ID(s.to_owned())).map_err(|_| bad())?;
        let key = kind
            .strip_prefix("Sort.")
            .and_then(|k| k.parse().ok())
            .ok_or_else(bad)?;
        Ok(Self { key, id })
    }

    fn encode_cursor(&self) -> String {
        crate::ids::encode(&format!("Sort.{}", self.key), self.id).0
    }
}

/// Page size and starting point of a sorted list.
pub fn sorted_page(
    first: Option<i32>,
    after: Option<String>,
) -> Result<(u64, Option<SortCursor>), ApiError> {
    let (size, _) = page(first, None)?;
    let after = after
        .map(|c| SortCursor::decode_cursor(&c))
        .transpose()
        .map_err(ApiError::bad_input)?;
    Ok((size, after))
}

/// Builds a connection from rows fetched with one row of look-ahead, each
/// edge carrying the cursor `cursor` gives its row.
pub fn sorted_connection<C: CursorType + Send + Sync, T: OutputType, R>(
    mut rows: Vec<R>,
    size: u64,
    has_previous: bool,
    cursor: impl Fn(&R) -> C,
    node: impl Fn(R) -> T,
) -> Connection<C, T, EmptyFields, EmptyFields> {
    let has_next = rows.len() as u64 > size;
    rows.truncate(size as usize);
    let mut connection = Connection::new(has_previous, has_next);
    connection
        .edges
        .extend(rows.into_iter().map(|r| Edge::new(cursor(&r), node(r))));
    connection
}
