//! The connection cap follows the open files limit. A test binary of its own: it lowers the
//! process's hard limit, which cannot be raised again.

use rlimit::Resource;

#[test]
fn the_connection_cap_leaves_room_under_a_low_open_files_limit() {
    let (_, hard) = rlimit::getrlimit(Resource::NOFILE).unwrap();
    // Room for 4,096 + 256 files: the cap asked for is kept.
    if hard >= 4096 + 256 {
        assert_eq!(shop::demo::connection_cap(2048), 2048);
    }
    // A hard limit of 1,000 leaves (1,000 - 256) / 2 connections to each of the two servers.
    rlimit::setrlimit(Resource::NOFILE, 1000, 1000).unwrap();
    assert_eq!(shop::demo::connection_cap(2048), 372);
    assert_eq!(shop::demo::connection_cap(100), 100);
    assert_eq!(rlimit::getrlimit(Resource::NOFILE).unwrap().0, 1000);
}
