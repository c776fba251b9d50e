//! The operation kinds records are grouped under.

use serde::{Deserialize, Serialize};

use super::wire::Put;
use crate::record::Operation;

/// The operation type a record is counted under. Custom records are grouped by name (their value
/// is not aggregated). The order (built-ins by format tag, then custom names bytewise) is the
/// order of every list and encoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// [`Operation::Read`] records (tag 1).
    Read,
    /// [`Operation::Write`] records (tag 2).
    Write,
    /// [`Operation::Upload`] records (tag 3).
    Upload,
    /// [`Operation::Download`] records (tag 4).
    Download,
    /// [`Operation::Delete`] records (tag 5).
    Delete,
    /// [`Operation::Probe`] records (tag 6).
    Probe,
    /// [`Operation::Custom`] records with this name (tag 7); not a service operation.
    Custom(String),
}

impl OpKind {
    /// The six built-in kinds, in tag order.
    pub const BUILTIN: [OpKind; 6] = [
        OpKind::Read,
        OpKind::Write,
        OpKind::Upload,
        OpKind::Download,
        OpKind::Delete,
        OpKind::Probe,
    ];

    /// The kind a record's operation is counted under; a custom metric's is its name.
    pub fn of(operation: &Operation) -> OpKind {
        match operation {
            Operation::Read => OpKind::Read,
            Operation::Write => OpKind::Write,
            Operation::Upload => OpKind::Upload,
            Operation::Download => OpKind::Download,
            Operation::Delete => OpKind::Delete,
            Operation::Probe => OpKind::Probe,
            Operation::Custom { name, .. } => OpKind::Custom(name.clone()),
        }
    }

    /// The format v1 operation tag (1..=7).
    pub fn tag(&self) -> u8 {
        match self {
            OpKind::Read => 1,
            OpKind::Write => 2,
            OpKind::Upload => 3,
            OpKind::Download => 4,
            OpKind::Delete => 5,
            OpKind::Probe => 6,
            OpKind::Custom(_) => 7,
        }
    }

    /// Whether records of this kind are *service operations*: they count for the error rate,
    /// uptime and `operations`. Custom metrics have reporter-defined meaning and do not.
    pub fn is_service(&self) -> bool {
        !matches!(self, OpKind::Custom(_))
    }

    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        out.put_u8(self.tag());
        if let OpKind::Custom(name) = self {
            out.put_u8(name.len() as u8);
            out.extend_from_slice(name.as_bytes());
        }
    }
}
