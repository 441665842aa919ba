//! With Substrate's panic handler installed (as `torus-node` installs it: a panic exits the
//! process), a Torus API handler that panics answers an internal error and the process lives.
//! A test binary of its own, because the handler it installs is process-wide.

use polkadot_sdk::sp_panic_handler;
use torus_node::torus_api::{catch_panics, ApiError};

#[test]
fn a_panicking_handler_answers_internal_error_and_the_process_lives() {
    sp_panic_handler::set("https://example.invalid/bugs", "test");
    let panicking = catch_panics(async {
        let huge: u64 = std::hint::black_box(u64::MAX);
        // The overflow that once stopped every validator, now inside a handler.
        let _ = std::time::Instant::now() + std::time::Duration::from_secs(huge);
        Ok::<u32, ApiError>(1)
    });
    let answer = futures::executor::block_on(panicking);
    let error = answer.expect_err("a panicking handler answers an error");
    assert_eq!(error.code(), 5001);
    assert_eq!(error.message(), "internal node error");

    // A handler that does not panic answers as usual, also after one that did.
    let fine = futures::executor::block_on(catch_panics(async { Ok::<u32, ApiError>(7) }));
    assert_eq!(fine.expect("answers"), 7);
    let refused = futures::executor::block_on(catch_panics(async {
        Err::<u32, ApiError>(ApiError::DuplicateToken)
    }));
    assert_eq!(refused.expect_err("refused").code(), 2004);
}
