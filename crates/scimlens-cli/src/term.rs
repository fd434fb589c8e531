//! Printing to the terminal. Whatever is printed may carry text from a log, a file name or a
//! workspace someone else made, so it goes through `terminal_safe`: control characters (ESC,
//! OSC, C1, bidirectional overrides) come out as visible escapes, never as terminal commands.

/// `println!` for the terminal, inert.
macro_rules! outln {
    ($($arg:tt)*) => {
        println!("{}", scimlens_core::report::render::terminal_safe(&format!($($arg)*)))
    };
}

/// `print!` for the terminal, inert.
macro_rules! out {
    ($($arg:tt)*) => {
        print!("{}", scimlens_core::report::render::terminal_safe(&format!($($arg)*)))
    };
}

/// `eprintln!` for the terminal, inert.
macro_rules! errln {
    ($($arg:tt)*) => {
        eprintln!("{}", scimlens_core::report::render::terminal_safe(&format!($($arg)*)))
    };
}
