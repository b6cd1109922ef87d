//! Corosync's configuration map: the nodelist, totem timeouts in effect, cluster name.
//!
//! Reads are short synchronous IPC calls to the local corosync; no event stream.

use std::collections::BTreeMap;
use std::ffi::{CStr, CString};

use crate::error::{check, init_error, Error, Result, Service};
use crate::ffi;

const SVC: Service = Service::Cmap;
/// Bound on keys read by one prefix iteration.
const MAX_KEYS: usize = 65_536;

/// A typed cmap value.
#[derive(Debug, Clone, PartialEq)]
pub enum CmapValue {
    I8(i8),
    U8(u8),
    I16(i16),
    U16(u16),
    I32(i32),
    U32(u32),
    I64(i64),
    U64(u64),
    Float(f32),
    Double(f64),
    Str(String),
    Binary(Vec<u8>),
}

impl CmapValue {
    /// Any integer value that fits in a u32.
    pub fn as_u32(&self) -> Option<u32> {
        match *self {
            CmapValue::I8(v) => u32::try_from(v).ok(),
            CmapValue::U8(v) => Some(v.into()),
            CmapValue::I16(v) => u32::try_from(v).ok(),
            CmapValue::U16(v) => Some(v.into()),
            CmapValue::I32(v) => u32::try_from(v).ok(),
            CmapValue::U32(v) => Some(v),
            CmapValue::I64(v) => u32::try_from(v).ok(),
            CmapValue::U64(v) => u32::try_from(v).ok(),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            CmapValue::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// One `nodelist.node.N` entry of corosync.conf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeEntry {
    pub nodeid: Option<u32>,
    pub name: Option<String>,
    /// `ring0_addr` .. `ring7_addr`, in link order.
    pub addrs: Vec<String>,
}

/// Totem settings in effect (`runtime.config.totem.*`, which include values
/// corosync derived, such as the token timeout scaled by token_coefficient).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotemSettings {
    pub cluster_name: Option<String>,
    pub transport: Option<String>,
    pub token_ms: Option<u32>,
    pub consensus_ms: Option<u32>,
    pub join_ms: Option<u32>,
    pub token_retransmits_before_loss: Option<u32>,
}

/// A connection to cmap.
pub struct Cmap {
    handle: ffi::cmap_handle_t,
}

impl Cmap {
    pub fn connect() -> Result<Cmap> {
        let mut handle = 0;
        // SAFETY: valid out-pointer.
        let rc = unsafe { ffi::cmap_initialize(&mut handle) };
        if rc != ffi::CS_OK {
            return Err(init_error(SVC, rc, std::io::Error::last_os_error()));
        }
        Ok(Cmap { handle })
    }

    /// The value of `key`, or `None` if it does not exist.
    pub fn get(&self, key: &str) -> Result<Option<CmapValue>> {
        let ckey = key_name(key)?;
        let mut len = 0usize;
        let mut ty: ffi::cmap_value_types_t = 0;
        // SAFETY: a null value pointer asks only for the length and type.
        let rc =
            unsafe { ffi::cmap_get(self.handle, ckey.as_ptr(), std::ptr::null_mut(), &mut len, &mut ty) };
        if rc == ffi::CS_ERR_NOT_EXIST {
            return Ok(None);
        }
        check(SVC, "get", rc)?;
        let mut buf = vec![0u8; len.max(8)];
        let mut len2 = buf.len();
        // SAFETY: the buffer holds `len2` bytes, at least the length reported above.
        let rc =
            unsafe { ffi::cmap_get(self.handle, ckey.as_ptr(), buf.as_mut_ptr().cast(), &mut len2, &mut ty) };
        if rc == ffi::CS_ERR_NOT_EXIST {
            return Ok(None); // deleted in between
        }
        check(SVC, "get", rc)?;
        buf.truncate(len2);
        Ok(Some(decode(ty, buf)))
    }

    pub fn get_u32(&self, key: &str) -> Result<Option<u32>> {
        Ok(self.get(key)?.and_then(|v| v.as_u32()))
    }

    pub fn get_string(&self, key: &str) -> Result<Option<String>> {
        Ok(self.get(key)?.and_then(|v| match v {
            CmapValue::Str(s) => Some(s),
            _ => None,
        }))
    }

    /// Every key starting with `prefix`, in corosync's (sorted) order.
    pub fn keys(&self, prefix: &str) -> Result<Vec<String>> {
        let cprefix = CString::new(prefix)
            .map_err(|_| Error::InvalidName { name: prefix.to_owned(), why: "contains a NUL byte" })?;
        let mut iter = 0;
        // SAFETY: valid handle, C string and out-pointer.
        check(SVC, "iter_init", unsafe { ffi::cmap_iter_init(self.handle, cprefix.as_ptr(), &mut iter) })?;
        let mut keys = Vec::new();
        let result = loop {
            let mut name = [0 as std::os::raw::c_char; ffi::CMAP_KEYNAME_MAXLEN as usize + 1];
            let mut len = 0usize;
            let mut ty = 0;
            // SAFETY: the name buffer has CMAP_KEYNAME_MAXLEN + 1 bytes, as the API requires.
            let rc = unsafe { ffi::cmap_iter_next(self.handle, iter, name.as_mut_ptr(), &mut len, &mut ty) };
            if rc == ffi::CS_ERR_NO_SECTIONS {
                break Ok(());
            }
            if let Err(e) = check(SVC, "iter_next", rc) {
                break Err(e);
            }
            // SAFETY: corosync NUL-terminates the key name within the buffer.
            keys.push(unsafe { CStr::from_ptr(name.as_ptr()) }.to_string_lossy().into_owned());
            if keys.len() >= MAX_KEYS {
                break Ok(());
            }
        };
        // SAFETY: the iterator handle came from cmap_iter_init on this handle.
        unsafe { ffi::cmap_iter_finalize(self.handle, iter) };
        result.map(|()| keys)
    }

    /// The nodelist section, ordered by its index in corosync.conf.
    pub fn nodelist(&self) -> Result<Vec<NodeEntry>> {
        let mut nodes: BTreeMap<u32, NodeEntry> = BTreeMap::new();
        for key in self.keys("nodelist.node.")? {
            // nodelist.node.<index>.<field>
            let mut parts = key.splitn(4, '.').skip(2);
            let (Some(idx), Some(field)) = (parts.next(), parts.next()) else { continue };
            let Ok(idx) = idx.parse::<u32>() else { continue };
            let entry = nodes.entry(idx).or_insert(NodeEntry { nodeid: None, name: None, addrs: Vec::new() });
            match field {
                "nodeid" => entry.nodeid = self.get_u32(&key)?,
                "name" => entry.name = self.get_string(&key)?,
                f if f.starts_with("ring") && f.ends_with("_addr") => {
                    if let Some(a) = self.get_string(&key)? {
                        entry.addrs.push(a);
                    }
                }
                _ => {}
            }
        }
        Ok(nodes.into_values().collect())
    }

    /// Totem settings in effect, falling back to the configured ones.
    pub fn totem(&self) -> Result<TotemSettings> {
        let u = |name: &str| -> Result<Option<u32>> {
            match self.get_u32(&format!("runtime.config.totem.{name}"))? {
                Some(v) => Ok(Some(v)),
                None => self.get_u32(&format!("totem.{name}")),
            }
        };
        Ok(TotemSettings {
            cluster_name: self.get_string("totem.cluster_name")?,
            transport: self.get_string("totem.transport")?,
            token_ms: u("token")?,
            consensus_ms: u("consensus")?,
            join_ms: u("join")?,
            token_retransmits_before_loss: u("token_retransmits_before_loss_const")?,
        })
    }

    pub fn cluster_name(&self) -> Result<Option<String>> {
        self.get_string("totem.cluster_name")
    }

    /// This node's id as votequorum knows it.
    pub fn local_nodeid(&self) -> Result<Option<u32>> {
        self.get_u32("runtime.votequorum.this_node_id")
    }

    /// Whether `quorum.two_node` is set.
    pub fn two_node(&self) -> Result<bool> {
        Ok(self.get_u32("quorum.two_node")?.unwrap_or(0) != 0)
    }
}

impl Drop for Cmap {
    fn drop(&mut self) {
        // SAFETY: finalized once.
        unsafe { ffi::cmap_finalize(self.handle) };
    }
}

fn key_name(key: &str) -> Result<CString> {
    if key.len() < 3 || key.len() > ffi::CMAP_KEYNAME_MAXLEN as usize {
        return Err(Error::InvalidName { name: key.to_owned(), why: "cmap keys are 3 to 255 bytes" });
    }
    CString::new(key).map_err(|_| Error::InvalidName { name: key.to_owned(), why: "contains a NUL byte" })
}

fn decode(ty: ffi::cmap_value_types_t, buf: Vec<u8>) -> CmapValue {
    fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
        let mut a = [0u8; N];
        let n = b.len().min(N);
        a[..n].copy_from_slice(&b[..n]);
        a
    }
    match ty {
        ffi::CMAP_VALUETYPE_INT8 => CmapValue::I8(i8::from_ne_bytes(arr(&buf))),
        ffi::CMAP_VALUETYPE_UINT8 => CmapValue::U8(u8::from_ne_bytes(arr(&buf))),
        ffi::CMAP_VALUETYPE_INT16 => CmapValue::I16(i16::from_ne_bytes(arr(&buf))),
        ffi::CMAP_VALUETYPE_UINT16 => CmapValue::U16(u16::from_ne_bytes(arr(&buf))),
        ffi::CMAP_VALUETYPE_INT32 => CmapValue::I32(i32::from_ne_bytes(arr(&buf))),
        ffi::CMAP_VALUETYPE_UINT32 => CmapValue::U32(u32::from_ne_bytes(arr(&buf))),
        ffi::CMAP_VALUETYPE_INT64 => CmapValue::I64(i64::from_ne_bytes(arr(&buf))),
        ffi::CMAP_VALUETYPE_UINT64 => CmapValue::U64(u64::from_ne_bytes(arr(&buf))),
        ffi::CMAP_VALUETYPE_FLOAT => CmapValue::Float(f32::from_ne_bytes(arr(&buf))),
        ffi::CMAP_VALUETYPE_DOUBLE => CmapValue::Double(f64::from_ne_bytes(arr(&buf))),
        ffi::CMAP_VALUETYPE_STRING => {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            CmapValue::Str(String::from_utf8_lossy(&buf[..end]).into_owned())
        }
        _ => CmapValue::Binary(buf),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_integers_and_strings() {
        assert_eq!(decode(ffi::CMAP_VALUETYPE_UINT32, 3650u32.to_ne_bytes().to_vec()).as_u32(), Some(3650));
        assert_eq!(decode(ffi::CMAP_VALUETYPE_UINT8, vec![1]).as_u32(), Some(1));
        assert_eq!(decode(ffi::CMAP_VALUETYPE_INT32, (-1i32).to_ne_bytes().to_vec()).as_u32(), None);
        assert_eq!(decode(ffi::CMAP_VALUETYPE_STRING, b"nsc\0".to_vec()).as_str(), Some("nsc"));
    }

    #[test]
    fn rejects_bad_keys() {
        assert!(key_name("ab").is_err());
        assert!(key_name("a\0bc").is_err());
        assert!(key_name("totem.token").is_ok());
    }
}
