//! The memory allocator the `scimlens` binaries install, and its settings.
//!
//! An import hands parsed records from the parser thread to the classify thread and rows from
//! there to the writer, so most memory is freed on another thread than the one that allocated
//! it. glibc's allocator serialises those frees on its arena locks (the three-thread import ran
//! slower than the two-thread one on it); mimalloc frees them without contention. Its defaults
//! keep freed pages for a second, which would put the peak memory of a large import above the
//! single-threaded one; [`configure`] makes it return them within 10 ms and lets a thread reuse
//! pages other threads freed.
#![allow(unsafe_code)]

/// Install with `#[global_allocator] static A: Allocator = Allocator;` in a binary.
pub use mimalloc::MiMalloc as Allocator;

/// Option numbers of `mi_option_e` in the mimalloc v3 header of libmimalloc-sys 0.1.49, the
/// version the workspace pins.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
const PAGE_RECLAIM_ON_FREE: libmimalloc_sys::mi_option_t = 35;

/// Applies scimlens's settings; call first thing in `main` of a binary that installs
/// [`Allocator`]. Harmless (mimalloc keeps its own state) where it is not the global allocator.
pub fn configure() {
    // SAFETY: mi_option_set stores a number in mimalloc's option table; any value is valid
    // for these two options and it may be called at any time from any thread.
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 10);
        libmimalloc_sys::mi_option_set(PAGE_RECLAIM_ON_FREE, 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_numbers_name_the_options_meant() {
        // Defaults documented in the pinned header: purge_delay 1000 ms in this build (shown
        // by MIMALLOC_VERBOSE=1), page_reclaim_on_free 0. A different mimalloc release that
        // renumbered them would fail here before it set the wrong options.
        // SAFETY: mi_option_get only reads the option table.
        let (delay, reclaim) = unsafe {
            (
                libmimalloc_sys::mi_option_get(PURGE_DELAY),
                libmimalloc_sys::mi_option_get(PAGE_RECLAIM_ON_FREE),
            )
        };
        assert!(
            (delay == 1000 && reclaim == 0) || (delay == 10 && reclaim == 1),
            "unexpected mimalloc options: purge_delay {delay}, page_reclaim_on_free {reclaim}"
        );
    }
}
