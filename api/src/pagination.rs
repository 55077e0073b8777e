//! Relay connections over keyset pages.
//!
//! Every list is sorted by an optional key, then by id. A cursor names its
//! list and carries the row's key (or that it has none) and id, so that a
//! page starts exactly past it however many rows share a key. Rows without
//! a key come last, walking forward or backward, on every database.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields};
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Object, OutputType};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sea_orm::sea_query::{
    Alias, Asterisk, ColumnType, Expr, Query, SelectStatement, WindowStatement,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult,
    IdenStatic, Iterable, ModelTrait, Order, PrimaryKeyToColumn, QueryFilter, QueryResult,
    QuerySelect, QueryTrait, Select, Statement, Value,
};

use crate::error::ApiError;
use crate::loaders::DbLoader;
use crate::state::ContextExt;

pub const DEFAULT_PAGE: u64 = 20;
pub const MAX_PAGE: u64 = 100;

/// Complexity of a connection field: its children count once per row asked,
/// from either end.
pub fn cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let asked = |n: i32| u64::try_from(n).unwrap_or(0).min(MAX_PAGE);
    let rows = match (first, last) {
        (None, None) => DEFAULT_PAGE,
        (first, last) => first.map_or(0, asked).max(last.map_or(0, asked)),
    };
    rows as usize * child_complexity + 1
}

/// The paging arguments of a connection field, as the client sent them.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageArgs {
    pub fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Self {
        Self {
            first,
            after,
            last,
            before,
        }
    }
}

/// A sort key value a cursor carries.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    Int(i64),
    Time(DateTime<Utc>),
}

impl Key {
    /// The key in a column's value; `None` for NULL.
    fn of(value: Value) -> Option<Self> {
        match value {
            Value::TinyInt(v) => v.map(|v| Self::Int(v.into())),
            Value::SmallInt(v) => v.map(|v| Self::Int(v.into())),
            Value::Int(v) => v.map(|v| Self::Int(v.into())),
            Value::BigInt(v) => v.map(Self::Int),
            Value::ChronoDateTimeUtc(v) => v.map(Self::Time),
            _ => None,
        }
    }

    fn value(&self) -> Value {
        match self {
            Self::Int(v) => Value::BigInt(Some(*v)),
            Self::Time(t) => Value::ChronoDateTimeUtc(Some(*t)),
        }
    }

    fn encode(&self) -> String {
        match self {
            Self::Int(v) => format!("i{v}"),
            // Nanoseconds fit an i64 until 2262.
            Self::Time(t) => format!("t{}", t.timestamp_nanos_opt().unwrap_or(i64::MAX)),
        }
    }
}

/// What kind of key a sorted list's cursors carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyKind {
    Int,
    Time,
}

impl KeyKind {
    fn of(column: &ColumnType) -> Self {
        match column {
            ColumnType::Timestamp | ColumnType::TimestampWithTimeZone | ColumnType::DateTime => {
                Self::Time
            }
            _ => Self::Int,
        }
    }

    fn decode(self, text: &str) -> Option<Key> {
        match (self, text.split_at_checked(1)?) {
            (Self::Int, ("i", n)) => n.parse().ok().map(Key::Int),
            (Self::Time, ("t", n)) => n
                .parse()
                .ok()
                .map(|n| Key::Time(DateTime::from_timestamp_nanos(n))),
            _ => None,
        }
    }
}

/// Where a row stands in its list: its key (`None` when the list has no key
/// or the row has none) and its id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Position {
    key: Option<Key>,
    id: i64,
}

/// A page asked for: how many rows, from which end, between which rows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    size: u64,
    backward: bool,
    after: Option<Position>,
    before: Option<Position>,
}

/// The cursor of an edge: its list and its place there, encoded only if
/// a client asks for it.
pub struct Cursor {
    list: Arc<str>,
    keyed: bool,
    at: Position,
}

impl CursorType for Cursor {
    type Error = &'static str;

    /// Cursors are read by the list they belong to ([`Sort::window`]),
    /// never on their own.
    fn decode_cursor(_: &str) -> Result<Self, Self::Error> {
        Err("a cursor is read by its list")
    }

    fn encode_cursor(&self) -> String {
        let key = match (self.keyed, &self.at.key) {
            (false, _) => String::new(),
            (true, None) => "~".to_owned(),
            (true, Some(key)) => key.encode(),
        };
        URL_SAFE_NO_PAD.encode(format!("{}|{key}|{}", self.list, self.at.id))
    }
}

/// How a list is sorted, and the name its cursors carry.
pub struct Sort<E: EntityTrait> {
    list: Arc<str>,
    key: Option<(E::Column, Order)>,
    id: (E::Column, Order),
}

impl<E: EntityTrait> Sort<E> {
    /// A list in the order of its ids.
    pub fn by_id(list: impl Into<String>, id: E::Column, order: Order) -> Self {
        Self {
            list: Arc::from(list.into()),
            key: None,
            id: (id, order),
        }
    }

    /// A list sorted by `key`, rows without one last, ties in id order.
    pub fn by_key(
        list: impl Into<String>,
        key: (E::Column, Order),
        id: (E::Column, Order),
    ) -> Self {
        Self {
            list: Arc::from(list.into()),
            key: Some(key),
            id,
        }
    }

    /// The same sort, for the list under one parent: cursors of one
    /// parent's list are not another's.
    pub fn within(mut self, parent: i64) -> Self {
        self.list = format!("{}@{parent}", self.list).into();
        self
    }

    fn kind(&self) -> Option<KeyKind> {
        self.key
            .as_ref()
            .map(|(column, _)| KeyKind::of(column.def().get_column_type()))
    }

    fn position(&self, row: &E::Model) -> Position {
        let id = match Key::of(row.get(self.id.0)) {
            Some(Key::Int(id)) => id,
            _ => 0,
        };
        let key = self.key.as_ref().and_then(|(c, _)| Key::of(row.get(*c)));
        Position { key, id }
    }

    /// The cursor of the row at `at`.
    fn cursor(&self, at: Position) -> Cursor {
        Cursor {
            list: self.list.clone(),
            keyed: self.key.is_some(),
            at,
        }
    }

    fn decode(&self, cursor: &str) -> Result<Position, ApiError> {
        let bad = || ApiError::bad_input("a cursor is not one of this list's cursors");
        let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let mut parts = text.rsplitn(3, '|');
        let (Some(id), Some(key), Some(list)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        if list != &*self.list {
            return Err(bad());
        }
        let id = id.parse().map_err(|_| bad())?;
        let key = match (self.kind(), key) {
            (None, "") | (Some(_), "~") => None,
            (Some(kind), key) => Some(kind.decode(key).ok_or_else(bad)?),
            (None, _) => return Err(bad()),
        };
        Ok(Position { key, id })
    }

    /// The page `args` ask for, checked.
    pub fn window(&self, args: PageArgs) -> Result<Window, ApiError> {
        let size = |n: Option<i32>, name: &str| match n {
            Some(n) if n < 0 => Err(ApiError::bad_input(format!("`{name}` cannot be negative"))),
            Some(n) => Ok(Some((n as u64).min(MAX_PAGE))),
            None => Ok(None),
        };
        let first = size(args.first, "first")?;
        let last = size(args.last, "last")?;
        if first.is_some() && last.is_some() {
            return Err(ApiError::bad_input(
                "ask for `first` or `last` rows, not both",
            ));
        }
        let backward = last.is_some()
            || (args.before.is_some() && args.first.is_none() && args.after.is_none());
        let decode = |c: Option<String>| c.map(|c| self.decode(&c)).transpose();
        Ok(Window {
            size: first.or(last).unwrap_or(DEFAULT_PAGE),
            backward,
            after: decode(args.after)?,
            before: decode(args.before)?,
        })
    }

    fn column(column: E::Column) -> Expr {
        Expr::col((E::default(), column))
    }

    /// The rows past `at` in the list's order (`later`), or before it.
    fn beyond(&self, at: &Position, later: bool) -> Condition {
        let (id, id_order) = (self.id.0, &self.id.1);
        let id_beyond = if matches!(id_order, Order::Desc) != later {
            id.gt(at.id)
        } else {
            id.lt(at.id)
        };
        let Some((key, key_order)) = &self.key else {
            return Condition::all().add(id_beyond);
        };
        match (&at.key, later) {
            (Some(value), _) => {
                let value = value.value();
                let key = *key;
                let key_beyond = if matches!(key_order, Order::Desc) != later {
                    key.gt(value.clone())
                } else {
                    key.lt(value.clone())
                };
                let tied = Condition::all().add(key.eq(value)).add(id_beyond);
                let rows = Condition::any().add(key_beyond).add(tied);
                // Rows without a key come after every row with one.
                if later { rows.add(key.is_null()) } else { rows }
            }
            (None, true) => Condition::all().add(key.is_null()).add(id_beyond),
            (None, false) => Condition::any()
                .add(key.is_not_null())
                .add(Condition::all().add(key.is_null()).add(id_beyond)),
        }
    }

    /// The rows of the window's range, whatever its size.
    fn bounds(&self, window: &Window) -> Condition {
        let mut bounds = Condition::all();
        if let Some(after) = &window.after {
            bounds = bounds.add(self.beyond(after, true));
        }
        if let Some(before) = &window.before {
            bounds = bounds.add(self.beyond(before, false));
        }
        bounds
    }

    /// The order to read rows in: the list's, or its reverse.
    fn order(&self, backward: bool) -> Vec<(Expr, Order)> {
        let turn = |order: &Order| {
            if matches!(order, Order::Desc) != backward {
                Order::Desc
            } else {
                Order::Asc
            }
        };
        let mut out = Vec::new();
        if let Some((key, order)) = &self.key {
            // `IS NULL` first puts NULLs last on every database, where
            // `NULLS LAST` is not understood everywhere.
            if key.def().is_null() {
                let missing = sea_orm::sea_query::ExprTrait::is_null(Self::column(*key));
                out.push((missing, turn(&Order::Asc)));
            }
            out.push((Self::column(*key), turn(order)));
        }
        out.push((Self::column(self.id.0), turn(&self.id.1)));
        out
    }

    /// The connection of a slice, with its cursors and total; `model`
    /// finds the list's row in each of the slice's rows.
    fn connection<R, T: OutputType>(
        &self,
        slice: Slice<R>,
        total: Total,
        model: impl Fn(&R) -> &E::Model,
        node: impl Fn(R) -> T,
    ) -> Page<T> {
        let mut page =
            Connection::with_additional_fields(slice.has_previous, slice.has_next, total);
        page.edges.extend(slice.rows.into_iter().map(|row| {
            let cursor = self.cursor(self.position(model(&row)));
            Edge::new(cursor, node(row))
        }));
        page
    }
}

/// The rows of a page in the list's order, and whether rows lie beyond it.
#[derive(Clone, Debug)]
pub struct Slice<R> {
    pub rows: Vec<R>,
    pub has_previous: bool,
    pub has_next: bool,
}

impl<R> Slice<R> {
    /// A slice from rows read from the window's end with one row of
    /// look-ahead. A cursor stands for a row of the list, so past it there
    /// is at least that row.
    fn of(mut rows: Vec<R>, window: &Window) -> Self {
        let more = rows.len() as u64 > window.size;
        rows.truncate(window.size as usize);
        if window.backward {
            rows.reverse();
            Self {
                rows,
                has_previous: more,
                has_next: window.before.is_some(),
            }
        } else {
            Self {
                rows,
                has_previous: window.after.is_some(),
                has_next: more,
            }
        }
    }
}

pub type Page<T> = Connection<Cursor, T, Total, EmptyFields>;

/// Counts a list for `totalCount`, only when a client asks for it.
pub struct Total(Counter);

enum Counter {
    /// `SELECT COUNT(*)` over the list's rows.
    Rows(Box<SelectStatement>),
    /// One list among many of the same request, counted together.
    Batched(Box<dyn CountBatched>),
}

/// A count read through the request's loader.
trait CountBatched: Send + Sync {
    fn count<'a>(
        &'a self,
        loader: &'a DataLoader<DbLoader>,
    ) -> BoxFuture<'a, Result<u64, async_graphql::Error>>;
}

#[Object]
impl Total {
    /// How many rows the whole list holds, whatever the page.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let n = match &self.0 {
            Counter::Rows(rows) => count_rows(&ctx.state().db, rows).await?,
            Counter::Batched(counter) => counter.count(ctx.loader()).await?,
        };
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
}

async fn count_rows(db: &DatabaseConnection, rows: &SelectStatement) -> Result<u64, ApiError> {
    let count = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from_subquery(rows.clone(), Alias::new("counted"))
        .to_owned();
    let row = db
        .query_one_raw(db.get_database_backend().build(&count))
        .await?;
    let n: i64 = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// One page of `query`, sorted as `sort` says.
pub async fn keyset<E, T>(
    db: &DatabaseConnection,
    query: Select<E>,
    sort: &Sort<E>,
    args: PageArgs,
    node: impl Fn(E::Model) -> T,
) -> Result<Page<T>, ApiError>
where
    E: EntityTrait,
    T: OutputType,
{
    let window = sort.window(args)?;
    let total = Total(Counter::Rows(Box::new(query.as_query().clone())));

    let mut query = query.filter(sort.bounds(&window));
    for (expr, order) in sort.order(window.backward) {
        QueryTrait::query(&mut query).order_by_expr(expr, order);
    }
    let statement = limited(db, &query.into_query(), &window);
    let rows = E::find().from_raw_sql(statement).all(db).await?;
    Ok(sort.connection(Slice::of(rows, &window), total, |row| row, node))
}

/// The statement of `rows`, limited to `window`'s rows and the one past it.
///
/// The limit is written into the SQL rather than bound. PostgreSQL may plan
/// a statement whose limit is bound anew at each run: its plan for any
/// limit is costed for a tenth of the rows, and so looks dearer than the
/// plan made for the value given (a page of invitations with their people
/// was planned at every run). With the limit written in, it keeps one plan
/// after a few runs. A page holds at most [`MAX_PAGE`] rows, so a list's
/// statement comes in that many variants at most.
fn limited(db: &DatabaseConnection, rows: &SelectStatement, window: &Window) -> Statement {
    let mut statement = db.get_database_backend().build(rows);
    statement
        .sql
        .push_str(&format!(" LIMIT {}", window.size + 1));
    statement
}

/// A list under each parent of a kind (a campaign's invitations…), read for
/// many parents at once: a page of each in one statement.
pub trait Nested: Clone + Eq + Hash + Send + Sync + 'static {
    type Entity: EntityTrait<Model: Clone + Send + Sync>;
    /// What the page's statement reads beside each row: `()` for nothing,
    /// or a related row that every client of the list asks for.
    type With: Companion<Self::Entity>;

    /// The column holding a row's parent.
    fn parent(&self) -> <Self::Entity as EntityTrait>::Column;
    /// The rows of the lists of `parents`, filtered as asked.
    fn rows(&self, parents: &[i64]) -> Select<Self::Entity>;
    /// The list's order and the name of its cursors.
    fn sort(&self) -> Sort<Self::Entity>;
}

/// What a nested list's statement reads beside each of its rows, by a
/// join, so that a page and what hangs from each row (an invitation's
/// person) come back in one round trip rather than two.
pub trait Companion<E: EntityTrait>: Clone + Send + Sync + 'static {
    /// The statement reading the rows `rows` selects, with the companions.
    fn statement(rows: Select<E>) -> SelectStatement;
    /// A row of that statement: the list's row and its companion.
    fn read(row: QueryResult) -> Result<(E::Model, Self), sea_orm::DbErr>;
}

/// Nothing read beside the rows.
impl<E: EntityTrait> Companion<E> for () {
    fn statement(rows: Select<E>) -> SelectStatement {
        rows.into_query()
    }
    fn read(row: QueryResult) -> Result<(E::Model, Self), sea_orm::DbErr> {
        Ok((E::Model::from_query_result(&row, "")?, ()))
    }
}

/// A page of one parent's list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageOf<N> {
    parent: i64,
    list: N,
    window: Window,
}

/// How many rows one parent's list holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CountOf<N> {
    parent: i64,
    list: N,
}

type Model<N> = <<N as Nested>::Entity as EntityTrait>::Model;
/// A row of a nested list, with what its statement read beside it.
type Row<N> = (Model<N>, <N as Nested>::With);

fn parent_of<N: Nested>(list: &N, row: &Model<N>) -> i64 {
    match Key::of(row.get(list.parent())) {
        Some(Key::Int(id)) => id,
        _ => 0,
    }
}

impl<N: Nested> Loader<PageOf<N>> for DbLoader {
    type Value = Slice<Row<N>>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[PageOf<N>],
    ) -> Result<HashMap<PageOf<N>, Self::Value>, Self::Error> {
        let mut asks: HashMap<(&N, &Window), Vec<i64>> = HashMap::new();
        for key in keys {
            asks.entry((&key.list, &key.window))
                .or_default()
                .push(key.parent);
        }
        let mut out = HashMap::new();
        for ((list, window), parents) in asks {
            let rows = self
                .pages(list, window, &parents)
                .await
                .map_err(ApiError::from)?;
            let mut by_parent: HashMap<i64, Vec<Row<N>>> = HashMap::new();
            for row in rows {
                by_parent
                    .entry(parent_of(list, &row.0))
                    .or_default()
                    .push(row);
            }
            for parent in parents {
                let rows = by_parent.remove(&parent).unwrap_or_default();
                let key = PageOf {
                    parent,
                    list: list.clone(),
                    window: window.clone(),
                };
                out.insert(key, Slice::of(rows, window));
            }
        }
        Ok(out)
    }
}

impl DbLoader {
    /// The window of each parent's list, numbered within its parent by
    /// `ROW_NUMBER()` so that one statement reads every page; a single
    /// parent's page, by [`page_statement`].
    async fn pages<N: Nested>(
        &self,
        list: &N,
        window: &Window,
        parents: &[i64],
    ) -> Result<Vec<Row<N>>, sea_orm::DbErr> {
        let sort = list.sort();
        let statement = if let [parent] = parents {
            limited(&self.db, &page_statement(list, window, *parent), window)
        } else {
            let rows = list.rows(parents).filter(sort.bounds(window));
            let mut rows = N::With::statement(rows);
            let mut over = WindowStatement::partition_by((N::Entity::default(), list.parent()));
            for (expr, order) in sort.order(window.backward) {
                over.order_by_expr(expr, order);
            }
            rows.expr_window_as(Expr::cust("ROW_NUMBER()"), over, Alias::new("page_row"));
            let page = Query::select()
                .column(Asterisk)
                .from_subquery(rows, Alias::new("page"))
                // Written in, not bound, as in `limited`.
                .and_where(sea_orm::sea_query::ExprTrait::lte(
                    Expr::col(Alias::new("page_row")),
                    Expr::cust((window.size + 1).to_string()),
                ))
                .order_by(Alias::new("page_row"), Order::Asc)
                .to_owned();
            self.db.get_database_backend().build(&page)
        };
        let rows = self.db.query_all_raw(statement).await?;
        rows.into_iter().map(N::With::read).collect()
    }

    /// Whether the node `node` picks, of `P`, is there, read with a page of
    /// `list` under it (`parent`, its id) in one statement, for a query
    /// that asks for the two together: the page's rows, each joined with
    /// the node's row when `row` asks for its columns, else read only if
    /// the node is there. The page is kept for the list's field, which
    /// takes it rather than read it again. An empty page brings no row,
    /// and the node is read alone.
    ///
    /// `None` when the node is not there; else its row, if read.
    pub async fn node_with_page<P: EntityTrait, N: Nested>(
        &self,
        node: Condition,
        parent: i64,
        list: N,
        window: Window,
        row: bool,
    ) -> Result<Option<Option<P::Model>>, sea_orm::DbErr> {
        let mut page = page_statement(&list, &window, parent);
        // The node, named by its id too: the page's rows are all under it.
        let named = P::PrimaryKey::iter().fold(node.clone(), |named, key| {
            let id = Expr::col((P::default(), key.into_column()));
            named.add(sea_orm::sea_query::ExprTrait::eq(id, parent))
        });
        if row {
            page.inner_join(P::default(), named);
            // The node's columns come after the page's, by names of their own.
            for column in P::Column::iter() {
                let value = column.select_as(Expr::col((P::default(), column)));
                page.expr_as(value, Alias::new(format!("{NODE}{}", column.as_str())));
            }
        } else {
            // Checked once for the statement, not joined to each row.
            let there = Query::select()
                .expr(Expr::cust("1"))
                .from(P::default())
                .cond_where(named)
                .to_owned();
            page.and_where(Expr::exists(there));
        }
        let statement = limited(&self.db, &page, &window);
        let rows = self.db.query_all_raw(statement).await?;
        let found = match rows.first() {
            Some(first) if row => Some(Some(P::Model::from_query_result(first, NODE)?)),
            Some(_) => Some(None),
            None => P::find().filter(node).one(&self.db).await?.map(Some),
        };
        if found.is_some() {
            let rows = rows
                .into_iter()
                .map(N::With::read)
                .collect::<Result<Vec<_>, _>>()?;
            let slice = Slice::of(rows, &window);
            self.ahead.keep(
                PageOf {
                    parent,
                    list,
                    window,
                },
                slice,
            );
        }
        Ok(found)
    }
}

/// The prefix of a node's columns in [`DbLoader::node_with_page`].
const NODE: &str = "node_";

/// The statement of one parent's page, as a root list's page is read,
/// without its limit (see [`limited`]):
/// numbering the rows of many parents at once would first visit every row
/// of the parent (SQLite does), for a page of a few.
fn page_statement<N: Nested>(list: &N, window: &Window, parent: i64) -> SelectStatement {
    let sort = list.sort();
    let mut rows = list.rows(&[parent]).filter(sort.bounds(window));
    for (expr, order) in sort.order(window.backward) {
        QueryTrait::query(&mut rows).order_by_expr(expr, order);
    }
    N::With::statement(rows)
}

impl<N: Nested> Loader<CountOf<N>> for DbLoader {
    type Value = u64;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[CountOf<N>]) -> Result<HashMap<CountOf<N>, u64>, Self::Error> {
        let mut asks: HashMap<&N, Vec<i64>> = HashMap::new();
        for key in keys {
            asks.entry(&key.list).or_default().push(key.parent);
        }
        let mut out = HashMap::new();
        for (list, parents) in asks {
            let parent = list.parent();
            let counts: Vec<(i64, i64)> = list
                .rows(&parents)
                .select_only()
                .column(parent)
                .column_as(Expr::cust("COUNT(*)"), "n")
                .group_by(parent)
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(ApiError::from)?;
            let counts: HashMap<i64, i64> = counts.into_iter().collect();
            for parent in parents {
                let n = counts.get(&parent).copied().unwrap_or(0);
                let key = CountOf {
                    parent,
                    list: list.clone(),
                };
                out.insert(key, u64::try_from(n).unwrap_or(0));
            }
        }
        Ok(out)
    }
}

impl<N: Nested> CountBatched for CountOf<N> {
    fn count<'a>(
        &'a self,
        loader: &'a DataLoader<DbLoader>,
    ) -> BoxFuture<'a, Result<u64, async_graphql::Error>> {
        Box::pin(async move { Ok(loader.load_one(self.clone()).await?.unwrap_or(0)) })
    }
}

/// One page of `parent`'s list, read with the pages of every other parent
/// the request asks for.
pub async fn nested_page<N: Nested<With = ()>, T: OutputType>(
    ctx: &Context<'_>,
    parent: i64,
    list: N,
    args: PageArgs,
    node: impl Fn(Model<N>) -> T,
) -> async_graphql::Result<Page<T>> {
    nested_page_with(ctx, parent, list, args, |(row, ())| node(row)).await
}

/// [`nested_page`] for a list whose statement reads a companion of each
/// row: `node` makes an edge of the row and its companion.
pub async fn nested_page_with<N: Nested, T: OutputType>(
    ctx: &Context<'_>,
    parent: i64,
    list: N,
    args: PageArgs,
    node: impl Fn(Row<N>) -> T,
) -> async_graphql::Result<Page<T>> {
    let sort = list.sort().within(parent);
    let window = sort.window(args)?;
    let key = PageOf {
        parent,
        list: list.clone(),
        window,
    };
    let loader = ctx.loader();
    let slice = match loader.loader().ahead.take(&key) {
        Some(kept) => Some(kept),
        None => loader.load_one(key).await?,
    };
    let slice = match slice {
        Some(slice) => slice,
        None => Slice {
            rows: Vec::new(),
            has_previous: false,
            has_next: false,
        },
    };
    let total = Total(Counter::Batched(Box::new(CountOf { parent, list })));
    Ok(sort.connection(slice, total, |(row, _)| row, node))
}

/// A list under each parent, in id order, with no filter of its own:
/// `children_by_id!(Name: entity by ParentColumn, "Parent.field", Asc)`.
macro_rules! children_by_id {
    ($(#[$doc:meta])* $name:ident: $entity:ident by $parent:ident, $list:literal, $order:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub(crate) struct $name;

        impl $crate::pagination::Nested for $name {
            type Entity = entities::$entity::Entity;
            type With = ();

            fn parent(&self) -> entities::$entity::Column {
                entities::$entity::Column::$parent
            }
            fn rows(&self, parents: &[i64]) -> sea_orm::Select<Self::Entity> {
                use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
                let parent = entities::$entity::Column::$parent;
                entities::$entity::Entity::find().filter(parent.is_in(parents.iter().copied()))
            }
            fn sort(&self) -> $crate::pagination::Sort<Self::Entity> {
                let id = entities::$entity::Column::Id;
                $crate::pagination::Sort::by_id($list, id, sea_orm::Order::$order)
            }
        }
    };
}

pub(crate) use children_by_id;

/// A reader of a model from the columns of a row by position, taking
/// them from `at` in the field order given, and the list of those fields'
/// names for a test to hold against the entity's column order:
/// `by_position!(read_at, COLUMNS: entity { id, name, … })`.
macro_rules! by_position {
    ($read:ident, $columns:ident: $entity:ident { $($field:ident),* $(,)? }) => {
        /// The fields read, in the order read.
        #[cfg(test)]
        const $columns: &[&str] = &[$(stringify!($field)),*];

        fn $read(
            row: &sea_orm::QueryResult,
            at: &mut std::ops::RangeFrom<usize>,
        ) -> Result<$entity::Model, sea_orm::DbErr> {
            Ok($entity::Model {
                $($field: $crate::pagination::Positional::at(
                    row,
                    at.next().unwrap_or_default(),
                )?,)*
            })
        }
    };
}

pub(crate) use by_position;

/// A value read from a row by position, for [`by_position!`].
///
/// On PostgreSQL, plain values skip sqlx's check that the column's type
/// matches: the statement reads the entity's own columns, whose types the
/// migrations fix, and the check (a comparison with each type the value
/// could come from, by name for some) cost more than the decoding itself.
/// Without it, a column whose type changed would be misread or fail to
/// decode: these readers follow the entities' types.
pub trait Positional: Sized {
    fn at(row: &QueryResult, index: usize) -> Result<Self, sea_orm::DbErr>;
}

macro_rules! positional_unchecked {
    ($($ty:ty),* $(,)?) => {$(
        impl Positional for $ty {
            fn at(row: &QueryResult, index: usize) -> Result<Self, sea_orm::DbErr> {
                match row.try_as_pg_row() {
                    Some(pg) => sea_orm::sqlx::Row::try_get_unchecked(pg, index)
                        .map_err(|e| sea_orm::DbErr::Type(e.to_string())),
                    None => row.try_get_by_index(index),
                }
            }
        }
    )*};
}

positional_unchecked!(
    i64,
    Option<i64>,
    String,
    Option<String>,
    Option<DateTime<Utc>>,
);

impl Positional for entities::PersonKind {
    fn at(row: &QueryResult, index: usize) -> Result<Self, sea_orm::DbErr> {
        row.try_get_by_index(index)
    }
}

#[cfg(test)]
mod tests {
    use entities::{invitation, need};

    use super::*;

    fn args(first: Option<i32>, last: Option<i32>) -> PageArgs {
        PageArgs::new(first, None, last, None)
    }

    #[test]
    fn the_cost_counts_last_like_first_and_caps_both() {
        assert_eq!(cost(None, None, 2), 41);
        assert_eq!(cost(Some(5), None, 2), 11);
        assert_eq!(cost(None, Some(5), 2), 11);
        assert_eq!(cost(None, Some(1_000), 1), 101);
        assert_eq!(cost(Some(-3), None, 1), 1);
    }

    #[test]
    fn cursors_round_trip_and_belong_to_one_list_and_order() {
        let by_time = Sort::<invitation::Entity>::by_key(
            "invitations",
            (invitation::Column::RespondedAt, Order::Asc),
            (invitation::Column::Id, Order::Asc),
        );
        let at = DateTime::from_timestamp_nanos(1_764_000_000_123_456_789);
        for position in [
            Position {
                key: Some(Key::Time(at)),
                id: 7,
            },
            Position { key: None, id: 8 },
        ] {
            let cursor = by_time.cursor(position.clone()).encode_cursor();
            assert_eq!(by_time.decode(&cursor).ok(), Some(position));
        }

        let by_id =
            Sort::<invitation::Entity>::by_id("invitations", invitation::Column::Id, Order::Asc);
        let keyed = by_time
            .cursor(Position { key: None, id: 8 })
            .encode_cursor();
        let plain = by_id.cursor(Position { key: None, id: 8 }).encode_cursor();
        assert!(by_id.decode(&keyed).is_err());
        assert!(by_time.decode(&plain).is_err());
        let under_another =
            Sort::<invitation::Entity>::by_id("invitations", invitation::Column::Id, Order::Asc);
        assert!(under_another.within(3).decode(&plain).is_err());
        // A key of the wrong kind is not a cursor of the list.
        let by_severity = Sort::<need::Entity>::by_key(
            "invitations",
            (need::Column::Severity, Order::Desc),
            (need::Column::Id, Order::Asc),
        );
        let time = by_time
            .cursor(Position {
                key: Some(Key::Time(at)),
                id: 1,
            })
            .encode_cursor();
        assert!(by_severity.decode(&time).is_err());
        for garbage in [
            "",
            "%%%",
            "aW52aXRhdGlvbnN8fG9uZQ", // `invitations||one`
            "aW52aXRhdGlvbnN8aTN8MQ", // `invitations|i3|1`: a key in a list without one
            "not-a-cursor",
        ] {
            assert!(by_id.decode(garbage).is_err(), "{garbage}");
        }
    }

    #[test]
    fn windows_refuse_both_ends_and_negative_sizes_and_cap_the_rest() {
        let sort = Sort::<need::Entity>::by_id("needs", need::Column::Id, Order::Asc);

        assert!(sort.window(args(Some(1), Some(1))).is_err());
        assert!(sort.window(args(Some(-1), None)).is_err());
        assert!(sort.window(args(None, Some(-1))).is_err());
        let w = sort.window(args(None, Some(1_000))).unwrap();
        assert!(w.backward);
        assert_eq!(w.size, MAX_PAGE);
        let w = sort.window(args(None, None)).unwrap();
        assert!(!w.backward);
        assert_eq!(w.size, DEFAULT_PAGE);
    }

    #[test]
    fn a_slice_read_backward_comes_back_in_list_order() {
        let window = Window {
            size: 2,
            backward: true,
            after: None,
            before: Some(Position { key: None, id: 9 }),
        };

        let slice = Slice::of(vec![8, 7, 6], &window);

        assert_eq!(slice.rows, [7, 8]);
        assert!(slice.has_previous);
        assert!(slice.has_next);
    }
}
