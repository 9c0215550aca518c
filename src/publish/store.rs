//! The object store publishing talks to, as a trait: list a target's objects, read one's
//! metadata, put one, copy one already there to another path, delete one. Publishing's plan and
//! apply are written against [`Store`]; the S3 client (`s3.rs`) is one, and an in-memory store
//! (in the unit tests) another. Failures are typed: what kind of failure decides the exit code,
//! whether a missing object matters, and whether anything else is worth trying.

/// An object store holding one target's objects, by path relative to the target's prefix.
pub trait Store: Sync {
    /// Every object under the target's prefix.
    fn list(&self) -> Result<Vec<RemoteObject>, StoreError>;
    /// What the store keeps about one object, or `None` when there is no such object.
    fn head(&self, path: &str) -> Result<Option<Metadata>, StoreError>;
    /// Stores an object with its headers.
    fn put(&self, upload: &Upload<'_>) -> Result<(), StoreError>;
    /// Stores at `upload.path` a copy of the object at `from`, which has the same bytes, with
    /// the upload's headers: nothing is sent but the request.
    fn copy(&self, from: &str, upload: &Upload<'_>) -> Result<(), StoreError>;
    /// Deletes an object; one that is already gone is no error.
    fn delete(&self, path: &str) -> Result<(), StoreError>;
}

/// One object of a listing. `path` is relative to the target's prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteObject {
    pub path: String,
    /// The ETag without quotes, lowercase.
    pub etag: String,
    pub size: u64,
}

/// What the store keeps about an object besides its bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    /// The MD5 placard stored with it, when it did (for stores whose ETag is not the MD5).
    pub md5: Option<String>,
}

/// An object to store and the headers to store it with.
#[derive(Clone, Copy, Debug)]
pub struct Upload<'a> {
    pub path: &'a str,
    pub bytes: &'a [u8],
    /// Hex MD5 of `bytes` (sent as `Content-MD5`, so the store checks what arrived, and kept in
    /// the object's metadata for stores whose ETag is not the MD5).
    pub md5: &'a str,
    pub content_type: &'a str,
    pub cache_control: &'a str,
    /// Where the object sends a browser on to (an alias page, on a store that does redirects).
    pub redirect: Option<&'a str>,
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The store refused the credentials: nothing else will work either.
    Credentials(String),
    /// There is no such object.
    NotFound(String),
    /// There is no such bucket (or container).
    NoBucket(String),
    /// A problem retrying will not fix (a wrong region, a refused request).
    Refused(String),
    /// The network or the store kept failing after every retry.
    Unavailable(String),
}

impl StoreError {
    pub fn message(&self) -> &str {
        match self {
            StoreError::Credentials(m)
            | StoreError::NotFound(m)
            | StoreError::NoBucket(m)
            | StoreError::Refused(m)
            | StoreError::Unavailable(m) => m,
        }
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// An object store in memory, for the unit tests of plan and apply: it keeps every request in
/// order, and can be told to fail the next requests for a path.
#[cfg(test)]
pub mod memory {
    use super::*;
    use md5::{Digest, Md5};
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    /// A stored object: its bytes and headers.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Object {
        pub bytes: Vec<u8>,
        pub md5: String,
        pub content_type: String,
        pub cache_control: String,
        pub redirect: Option<String>,
    }

    #[derive(Default)]
    pub struct MemoryStore {
        pub objects: Mutex<BTreeMap<String, Object>>,
        /// Every request, as `PUT path`, `COPY from → path`, `DELETE path`, `HEAD path`, `LIST`.
        pub log: Mutex<Vec<String>>,
        /// Paths whose requests fail with this error.
        pub failing: Mutex<BTreeMap<String, StoreError>>,
    }

    impl MemoryStore {
        pub fn with(objects: &[(&str, &[u8])]) -> MemoryStore {
            let store = MemoryStore::default();
            for (path, bytes) in objects {
                store.objects.lock().unwrap().insert(
                    path.to_string(),
                    Object {
                        bytes: bytes.to_vec(),
                        md5: format!("{:x}", Md5::digest(bytes)),
                        content_type: "application/octet-stream".into(),
                        cache_control: String::new(),
                        redirect: None,
                    },
                );
            }
            store
        }

        pub fn log(&self) -> Vec<String> {
            self.log.lock().unwrap().clone()
        }

        fn note(&self, entry: String, path: &str) -> Result<(), StoreError> {
            self.log.lock().unwrap().push(entry);
            match self.failing.lock().unwrap().get(path) {
                Some(e) => Err(e.clone()),
                None => Ok(()),
            }
        }

        fn store(&self, upload: &Upload<'_>, bytes: Vec<u8>) {
            self.objects.lock().unwrap().insert(
                upload.path.to_string(),
                Object {
                    bytes,
                    md5: upload.md5.to_string(),
                    content_type: upload.content_type.to_string(),
                    cache_control: upload.cache_control.to_string(),
                    redirect: upload.redirect.map(str::to_string),
                },
            );
        }
    }

    impl Store for MemoryStore {
        fn list(&self) -> Result<Vec<RemoteObject>, StoreError> {
            self.note("LIST".into(), "")?;
            Ok(self
                .objects
                .lock()
                .unwrap()
                .iter()
                .map(|(path, o)| RemoteObject {
                    path: path.clone(),
                    etag: format!("{:x}", Md5::digest(&o.bytes)),
                    size: o.bytes.len() as u64,
                })
                .collect())
        }

        fn head(&self, path: &str) -> Result<Option<Metadata>, StoreError> {
            self.note(format!("HEAD {path}"), path)?;
            Ok(self.objects.lock().unwrap().get(path).map(|o| Metadata {
                md5: Some(o.md5.clone()),
            }))
        }

        fn put(&self, upload: &Upload<'_>) -> Result<(), StoreError> {
            self.note(format!("PUT {}", upload.path), upload.path)?;
            self.store(upload, upload.bytes.to_vec());
            Ok(())
        }

        fn copy(&self, from: &str, upload: &Upload<'_>) -> Result<(), StoreError> {
            self.note(format!("COPY {from} → {}", upload.path), upload.path)?;
            let bytes = self
                .objects
                .lock()
                .unwrap()
                .get(from)
                .map(|o| o.bytes.clone())
                .ok_or_else(|| StoreError::NotFound(format!("no object {from}")))?;
            self.store(upload, bytes);
            Ok(())
        }

        fn delete(&self, path: &str) -> Result<(), StoreError> {
            self.note(format!("DELETE {path}"), path)?;
            self.objects.lock().unwrap().remove(path);
            Ok(())
        }
    }
}
