//! Zip containers (RASX, BRML) read with a bound on decompressed size.

use std::io::{Cursor, Read};

use zip::ZipArchive;

use crate::{Error, Result};

/// The most a single archive member may decompress to (256 MiB): far above any real scan, far
/// below what a zip bomb would need to exhaust memory.
pub const MAX_MEMBER_BYTES: u64 = 256 << 20;

/// The most all members read from one archive may decompress to together.
const MAX_TOTAL_BYTES: u64 = 1 << 30;

/// An opened archive and the bytes read from it so far.
pub(crate) struct Archive<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
    file: String,
    total: u64,
}

impl<'a> Archive<'a> {
    pub fn open(bytes: &'a [u8], file: &str) -> Result<Archive<'a>> {
        let zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| Error::Archive {
            file: file.to_owned(),
            message: format!("not a readable zip archive: {e}"),
        })?;
        Ok(Archive {
            zip,
            file: file.to_owned(),
            total: 0,
        })
    }

    /// Member names in archive order.
    pub fn names(&self) -> Vec<String> {
        self.zip.file_names().map(str::to_owned).collect()
    }

    /// The decompressed bytes of `name`, refusing members beyond [`MAX_MEMBER_BYTES`].
    pub fn read(&mut self, name: &str) -> Result<Vec<u8>> {
        let file = self.file.clone();
        let mut member = self.zip.by_name(name).map_err(|e| Error::Archive {
            file: file.clone(),
            message: format!("cannot read member {name}: {e}"),
        })?;
        let limit = MAX_MEMBER_BYTES.min(MAX_TOTAL_BYTES.saturating_sub(self.total));
        let too_large = || Error::TooLarge {
            file: file.clone(),
            member: name.to_owned(),
            limit,
        };
        if member.size() > limit {
            return Err(too_large());
        }
        let mut out = Vec::new();
        // The declared size can lie: also stop reading one byte past the limit.
        (&mut member)
            .take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|e| Error::Archive {
                file: file.clone(),
                message: format!("cannot decompress {name}: {e}"),
            })?;
        if out.len() as u64 > limit {
            return Err(too_large());
        }
        self.total += out.len() as u64;
        Ok(out)
    }
}
