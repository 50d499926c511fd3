//! Images as files (petitions' pictures, organizations' logos): an upload checked by its
//! content (PNG, JPEG or WebP, whatever its name says), decoded under limits (size,
//! megapixels, memory), re-encoded as JPEG (which drops every metadata block: EXIF, text
//! chunks, colour profiles) at the widths of its `signons_petition::image::Sizes`, and
//! stored in `{data_dir}/media` as `{image_id}-{width}.jpg`. The routes are in
//! `routes::media`.

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use signons_petition::image::{self as stored, Sizes, StoredImage};
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// The largest upload, in bytes.
pub const MAX_UPLOAD: usize = 10 * 1024 * 1024;
/// The most pixels an upload may have once decoded (a small file can claim many: a
/// decompression bomb).
pub const MAX_PIXELS: u64 = 40_000_000;
/// JPEG quality of the stored files.
const QUALITY: u8 = 82;

/// Why an upload was refused: each is a form error (its translation key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("no file was sent")]
    Missing,
    #[error("the file is larger than 10 MB")]
    TooLarge,
    #[error("the file is not a PNG, JPEG or WebP image")]
    NotAnImage,
    #[error("the image has more than 40 megapixels")]
    TooManyPixels,
    #[error("the image is damaged and cannot be read")]
    Corrupt,
}

impl MediaError {
    /// The form's message for it (a key of `main.ftl`).
    pub fn key(self) -> &'static str {
        match self {
            MediaError::Missing => "picture-error-missing",
            MediaError::TooLarge => "picture-error-too-large",
            MediaError::NotAnImage => "picture-error-not-image",
            MediaError::TooManyPixels => "picture-error-too-many-pixels",
            MediaError::Corrupt => "picture-error-corrupt",
        }
    }
}

/// An upload once processed: its files (width, JPEG bytes), widest last.
pub struct Processed {
    pub width: u32,
    pub height: u32,
    pub files: Vec<(u32, Vec<u8>)>,
}

/// Decodes, checks and re-encodes an upload at the widths of `sizes`. Slow (decoding,
/// resizing): run it off the async threads (`web::block`).
pub fn process(bytes: &[u8], sizes: Sizes) -> Result<Processed, MediaError> {
    // One picture at a time: a decoded 40-megapixel image and its copies take some hundreds
    // of megabytes, which a few uploads at once must not multiply. The others wait on
    // their blocking threads, not on the server's.
    static DECODING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = DECODING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if bytes.is_empty() {
        return Err(MediaError::Missing);
    }
    if bytes.len() > MAX_UPLOAD {
        return Err(MediaError::TooLarge);
    }
    let format = image::guess_format(bytes).map_err(|_| MediaError::NotAnImage)?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP) {
        return Err(MediaError::NotAnImage);
    }
    let reader = |limits: Limits| {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        reader.limits(limits);
        reader
    };
    // The header first: its size decides whether to decode at all.
    let (w, h) = reader(Limits::default()).into_dimensions().map_err(|_| MediaError::Corrupt)?;
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(MediaError::TooManyPixels);
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    // 16 bits per channel, four channels, and as much again for a conversion.
    limits.max_alloc = Some(MAX_PIXELS * 8 * 2);
    let refused = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => MediaError::TooManyPixels,
        _ => MediaError::Corrupt,
    };
    let mut decoder = reader(limits).into_decoder().map_err(refused)?;
    // A phone's photo says in its EXIF which way is up; the EXIF goes, the turn is made.
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut decoded = DynamicImage::from_decoder(decoder).map_err(refused)?;
    decoded.apply_orientation(orientation);
    let rgb = on_white(decoded);
    let widest = rgb.width().min(sizes.widest());
    let height = stored::scaled_height(rgb.width(), rgb.height(), widest);
    let mut files = Vec::new();
    for width in sizes.widths_for(widest) {
        let resized = match width == rgb.width() {
            true => rgb.clone(),
            false => image::imageops::resize(
                &rgb,
                width,
                stored::scaled_height(rgb.width(), rgb.height(), width),
                image::imageops::FilterType::Triangle,
            ),
        };
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, QUALITY)
            .encode_image(&resized)
            .map_err(|_| MediaError::Corrupt)?;
        files.push((width, out));
    }
    Ok(Processed { width: widest, height, files })
}

/// The image in 8-bit RGB, transparent parts on white (JPEG has no transparency).
fn on_white(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let mut rgb = RgbImage::new(rgba.width(), rgba.height());
    for (out, px) in rgb.pixels_mut().zip(rgba.pixels()) {
        let a = u16::from(px.0[3]);
        for c in 0..3 {
            let v = (u16::from(px.0[c]) * a + 255 * (255 - a)) / 255;
            out.0[c] = u8::try_from(v).unwrap_or(255);
        }
    }
    rgb
}

/// Where the files are kept.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("media")
}

/// A new random image id: 32 hex digits.
pub fn new_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Writes the files of `processed` under `image_id`; on failure, removes what it wrote.
pub fn store(data_dir: &Path, image_id: &str, processed: &Processed) -> std::io::Result<()> {
    let dir = dir(data_dir);
    std::fs::create_dir_all(&dir)?;
    for (width, bytes) in &processed.files {
        let path = dir.join(stored::file_name(image_id, *width));
        // Written beside, then renamed: a file served is always whole.
        let partial = dir.join(format!(".{}.partial", stored::file_name(image_id, *width)));
        let written = std::fs::write(&partial, bytes).and_then(|()| std::fs::rename(&partial, &path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&partial);
            delete(data_dir, image_id, &processed.files.iter().map(|(w, _)| *w).collect::<Vec<_>>());
            return Err(e);
        }
    }
    Ok(())
}

/// Deletes the files of an image (those that are there).
pub fn delete(data_dir: &Path, image_id: &str, widths: &[u32]) {
    let dir = dir(data_dir);
    for width in widths {
        let path = dir.join(stored::file_name(image_id, *width));
        if let Err(e) = std::fs::remove_file(&path) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(error = %e, path = %path.display(), "cannot delete a replaced picture");
            }
        }
    }
}

/// Deletes the files of an image that was replaced or removed.
pub fn delete_image(data_dir: &Path, old: &impl StoredImage) {
    delete(data_dir, old.image_id(), &old.widths());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(w, h, image::Rgba([200, 30, 30, 128]));
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(img).write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    #[test]
    fn an_image_is_stored_at_each_width_up_to_its_own() {
        let done = process(&png(1000, 500), Sizes::Picture).unwrap();
        assert_eq!((done.width, done.height), (1000, 500));
        let widths: Vec<u32> = done.files.iter().map(|(w, _)| *w).collect();
        assert_eq!(widths, vec![480, 960, 1000]);
        for (w, bytes) in &done.files {
            let back = image::load_from_memory_with_format(bytes, ImageFormat::Jpeg).unwrap();
            assert_eq!(back.width(), *w);
        }
    }

    #[test]
    fn a_logo_is_stored_small() {
        let done = process(&png(1000, 500), Sizes::Logo).unwrap();
        assert_eq!((done.width, done.height), (256, 128));
        let widths: Vec<u32> = done.files.iter().map(|(w, _)| *w).collect();
        assert_eq!(widths, vec![64, 128, 256]);
    }

    /// A JPEG `w` x `h` whose EXIF says to turn it a quarter (orientation 6) and names a
    /// camera owner, `secret`.
    pub(crate) fn jpeg_with_exif(w: u32, h: u32, secret: &str) -> Vec<u8> {
        let img = RgbImage::from_pixel(w, h, image::Rgb([10, 120, 200]));
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut jpeg).encode_image(&img).unwrap();
        // TIFF, big-endian: two entries (Orientation = 6, Artist = secret), then the text.
        let text = format!("{secret}\0").into_bytes();
        let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x02".to_vec();
        tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
        let offset = 8 + 2 + 2 * 12 + 4;
        tiff.extend_from_slice(&[0x01, 0x3B, 0, 2]);
        tiff.extend_from_slice(&(text.len() as u32).to_be_bytes());
        tiff.extend_from_slice(&(offset as u32).to_be_bytes());
        tiff.extend_from_slice(&[0, 0, 0, 0]);
        tiff.extend_from_slice(&text);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut segment = vec![0xFF, 0xE1];
        segment.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        segment.extend_from_slice(&app1);
        jpeg.splice(2..2, segment);
        jpeg
    }

    #[test]
    fn a_photo_is_turned_as_its_exif_says_and_loses_it() {
        let secret = "Ada Lovelace, 45.76N 4.83E";
        let photo = jpeg_with_exif(600, 300, secret);
        assert!(photo.windows(secret.len()).any(|w| w == secret.as_bytes()));
        let done = process(&photo, Sizes::Picture).unwrap();
        assert_eq!((done.width, done.height), (300, 600), "turned a quarter");
        for (_, bytes) in &done.files {
            assert!(!bytes.windows(4).any(|w| w == b"Exif"), "no EXIF block");
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
        }
    }

    #[test]
    fn what_is_not_a_whole_image_is_refused_by_its_content() {
        assert_eq!(process(b"hello, I am text", Sizes::Picture).err(), Some(MediaError::NotAnImage));
        assert_eq!(process(b"", Sizes::Picture).err(), Some(MediaError::Missing));
        let mut cut = png(100, 100);
        cut.truncate(cut.len() / 2);
        assert_eq!(process(&cut, Sizes::Picture).err(), Some(MediaError::Corrupt));
        // A GIF is an image, but not one of ours.
        assert_eq!(process(b"GIF89a\x01\x00\x01\x00", Sizes::Picture).err(), Some(MediaError::NotAnImage));
    }

    /// The PNG chunks' CRC-32 (so the edited header reads as whole).
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    #[test]
    fn a_header_claiming_too_many_pixels_is_refused_before_decoding() {
        // A PNG header of 10000 x 5000 pixels and nothing else.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&10_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&5_000u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(process(&bomb, Sizes::Picture).err(), Some(MediaError::TooManyPixels));
    }
}
