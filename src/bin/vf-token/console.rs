//! Echo off while the secret is typed, on a Windows console (the Unix version, with termios, is in
//! vf-token.rs). Three kernel32 functions, declared here rather than pulling in a bindings crate.

use std::{
    ffi::c_void,
    io::{self, Write},
};

type Handle = *mut c_void;

/// `STD_INPUT_HANDLE`: `(DWORD)-10`.
const STD_INPUT_HANDLE: u32 = -10i32 as u32;
/// `ENABLE_ECHO_INPUT`: characters read by `ReadFile`/`ReadConsole` are shown as typed.
const ENABLE_ECHO_INPUT: u32 = 0x0004;

#[link(name = "kernel32")]
unsafe extern "system" {
    fn GetStdHandle(which: u32) -> Handle;
    fn GetConsoleMode(console: Handle, mode: *mut u32) -> i32;
    fn SetConsoleMode(console: Handle, mode: u32) -> i32;
}

/// Console echo switched off while the secret is typed, and back on when dropped.
pub struct EchoOff(Option<(Handle, u32)>);

impl EchoOff {
    /// Prompts and switches echo off if standard input is a console; otherwise (a pipe, a file)
    /// does nothing.
    pub fn on_terminal() -> EchoOff {
        // SAFETY: GetStdHandle takes no pointer; GetConsoleMode writes one u32 on this stack
        // frame, and fails (returns 0) for a handle that is not a console, including NULL and
        // INVALID_HANDLE_VALUE; SetConsoleMode takes the handle it accepted and a plain value.
        unsafe {
            let input = GetStdHandle(STD_INPUT_HANDLE);
            let mut saved = 0u32;
            if GetConsoleMode(input, &mut saved) == 0 {
                return EchoOff(None);
            }
            let echo_off = SetConsoleMode(input, saved & !ENABLE_ECHO_INPUT) != 0;
            let _ = write!(io::stderr(), "vf-token: client secret: ");
            EchoOff(echo_off.then_some((input, saved)))
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some((input, saved)) = self.0 {
            // SAFETY: restores the mode read in `on_terminal` on the same console handle.
            unsafe { SetConsoleMode(input, saved) };
            let _ = writeln!(io::stderr());
        }
    }
}
