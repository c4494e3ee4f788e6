//! Exports one function, `hash(profile, n)`, that runs Herald's own PasswordHasher `n` times.
//! `run.mjs` loads it in Node (V8, as in workerd) and reads the CPU time it took.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use herald::identity::password::{Argon2Hasher, HashProfile, PasswordHasher};

/// profile 0 = free-plan, 1 = strong. Answers the total length of the PHC strings made.
#[no_mangle]
pub extern "C" fn hash(profile: u32, n: u32) -> u32 {
    let profile = if profile == 1 { HashProfile::Strong } else { HashProfile::FreePlan };
    let hasher = Argon2Hasher::new(profile);
    let mut total = 0u32;
    for i in 0..n {
        let salt = [i as u8; 16];
        let mut fut = pin!(hasher.hash("correct horse battery", &salt));
        // The hasher never waits on anything: one poll completes it.
        if let Poll::Ready(Ok(phc)) = fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            total += phc.len() as u32;
        }
    }
    total
}
