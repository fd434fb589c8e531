// No console window behind the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[global_allocator]
static ALLOCATOR: scimlens_core::allocator::Allocator = scimlens_core::allocator::Allocator;

fn main() {
    scimlens_core::allocator::configure();
    scimlens_app::run();
}
