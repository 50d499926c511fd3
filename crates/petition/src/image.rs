//! What every stored image has, whatever it illustrates (a petition's picture, an
//! organization's logo): the id its files are named by, the size of its widest file, and
//! the widths it is stored at. The files themselves (decoded, re-encoded, resized:
//! `{image_id}-{width}.jpg`) are the app's (`media`); the rows are `picture`'s and `logo`'s.

/// What an image is for: it decides the widths its files are made at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sizes {
    /// A petition's picture: shown across a page or a card.
    Picture,
    /// An organization's logo: small, beside a name.
    Logo,
}

impl Sizes {
    /// The widths an image is stored at, when the original is at least as wide; the widest
    /// stored is the original's width when it is narrower than the last.
    pub fn widths(self) -> &'static [u32] {
        match self {
            Sizes::Picture => &[480, 960, 1600],
            Sizes::Logo => &[64, 128, 256],
        }
    }

    /// The widest file an image gets.
    pub fn widest(self) -> u32 {
        self.widths().last().copied().unwrap_or(1)
    }

    /// The width of the file an `<img src>` names (the `srcset` lists them all).
    pub fn shown(self) -> u32 {
        match self {
            Sizes::Picture => 960,
            Sizes::Logo => 128,
        }
    }

    /// The widths stored for an image whose widest file is `widest` wide.
    pub fn widths_for(self, widest: u32) -> Vec<u32> {
        let mut widths: Vec<u32> = self.widths().iter().copied().filter(|w| *w < widest).collect();
        widths.push(widest.max(1));
        widths
    }
}

/// A stored image: its rows say which files it has; the rest follows from its `Sizes`.
pub trait StoredImage {
    const SIZES: Sizes;
    fn image_id(&self) -> &str;
    /// The size of its widest file.
    fn size(&self) -> (i32, i32);

    /// The widths of its files, narrowest first.
    fn widths(&self) -> Vec<u32> {
        Self::SIZES.widths_for(u32::try_from(self.size().0).unwrap_or(0))
    }

    /// The height of its file `width` wide (its ratio kept, at least 1).
    fn height_at(&self, width: u32) -> u32 {
        let (w, h) = self.size();
        scaled_height(u32::try_from(w).unwrap_or(1), u32::try_from(h).unwrap_or(1), width)
    }

    /// The name of its file `width` wide.
    fn file(&self, width: u32) -> String {
        file_name(self.image_id(), width)
    }

    /// The names of all its files.
    fn files(&self) -> Vec<String> {
        self.widths().into_iter().map(|w| self.file(w)).collect()
    }
}

/// `height` for an image `width` wide, scaled to `to` wide (at least 1).
pub fn scaled_height(width: u32, height: u32, to: u32) -> u32 {
    let h = u64::from(height) * u64::from(to) / u64::from(width.max(1));
    u32::try_from(h.max(1)).unwrap_or(u32::MAX)
}

pub fn file_name(image_id: &str, width: u32) -> String {
    format!("{image_id}-{width}.jpg")
}

/// The image id of a file name this module makes (`{32 hex}-{digits}.jpg`), or `None`:
/// nothing else is ever served, so no path can leave the media folder.
pub fn id_of_file(name: &str) -> Option<&str> {
    let (id, rest) = name.split_once('-')?;
    let width = rest.strip_suffix(".jpg")?;
    let valid = id.len() == 32
        && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && (1..=5).contains(&width.len())
        && width.bytes().all(|b| b.is_ascii_digit());
    valid.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_never_exceed_the_original() {
        assert_eq!(Sizes::Picture.widths_for(2000), vec![480, 960, 1600, 2000]);
        assert_eq!(Sizes::Picture.widths_for(1600), vec![480, 960, 1600]);
        assert_eq!(Sizes::Picture.widths_for(1000), vec![480, 960, 1000]);
        assert_eq!(Sizes::Picture.widths_for(300), vec![300]);
        assert_eq!(Sizes::Logo.widths_for(256), vec![64, 128, 256]);
        assert_eq!(Sizes::Logo.widths_for(100), vec![64, 100]);
        assert_eq!(scaled_height(1000, 500, 480), 240);
        assert_eq!(scaled_height(1000, 1, 480), 1);
    }

    #[test]
    fn only_names_made_here_are_file_names() {
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(id_of_file(&format!("{id}-480.jpg")), Some(id));
        assert!(id_of_file(&format!("../{id}-480.jpg")).is_none());
        assert!(id_of_file(&format!("{id}-480.jpg/..")).is_none());
        assert!(id_of_file(&format!("{id}-.jpg")).is_none());
        assert!(id_of_file(&format!("{}-480.jpg", id.to_uppercase())).is_none());
        assert!(id_of_file("..%2fx").is_none());
        assert!(id_of_file("x").is_none());
    }
}
