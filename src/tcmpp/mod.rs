//! The TCMPP API: signing ([`sign`]), wire types ([`model`]), the error-class table ([`error`]),
//! credentials ([`credentials`]) and the rate-limited, retrying client ([`client`]).

pub mod model;
pub mod sign;
