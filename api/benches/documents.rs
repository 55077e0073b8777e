//! What keeping parsed documents saves: the nested read's document parsed
//! afresh, against the same document taken from [`api::documents::Documents`].
//!
//! `cargo bench -p api --bench documents` prints the time of each per request.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::hint::black_box;
use std::time::Instant;

use api::documents::Documents;

const QUERY: &str = "query($id: ID!) { node(id: $id) { ... on Campaign { invitations(first: 100) \
                     { edges { node { respondedAt person { name email } } } } } } }";
const ROUNDS: u32 = 200_000;

fn per_request(mut each: impl FnMut()) -> f64 {
    let started = Instant::now();
    for _ in 0..ROUNDS {
        each();
    }
    started.elapsed().as_secs_f64() * 1e6 / f64::from(ROUNDS)
}

fn main() {
    let parsed = per_request(|| {
        let mut request = async_graphql::Request::new(black_box(QUERY));
        black_box(request.parsed_query().unwrap());
    });
    let documents = Documents::default();
    let kept = per_request(|| {
        let mut request = async_graphql::Request::new(black_box(QUERY));
        documents.prepare_one(&mut request);
        black_box(request.parsed_query().unwrap());
    });
    println!("parsed afresh: {parsed:.2} µs a request");
    println!(
        "from the kept documents: {kept:.2} µs a request ({:.0}× less)",
        parsed / kept
    );
}
