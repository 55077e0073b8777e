//! Rules of the design phase: programmes, axes, needs, need rules,
//! interventions and priorities. Every check runs before anything is stored.

mod costs;
mod guide;
mod interventions;
mod needs;
mod programmes;

pub use costs::*;
pub use guide::*;
pub use interventions::*;
pub use needs::*;
pub use programmes::*;
