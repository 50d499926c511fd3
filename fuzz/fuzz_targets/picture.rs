//! A petition's picture, as an organizer uploads it: any bytes, whatever the file's name.
//! Whatever the input, processing never panics, and what it accepts comes out as JPEG
//! files no wider than `signons_petition::image::Sizes::Picture` allows.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(done) = signons_app::media::process(data, signons_petition::image::Sizes::Picture) else { return };
    assert!(done.width <= 1600 && done.height >= 1);
    for (width, jpeg) in &done.files {
        assert!(*width <= done.width);
        assert!(jpeg.starts_with(&[0xFF, 0xD8]), "a JPEG");
    }
});
