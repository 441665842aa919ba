//! Parsing of the four methods' parameters: from the JSON the caller sent to values whose every
//! length, count and number is within bounds, or a clear [`ApiError`]. Pure functions, no chain
//! and no clock, so that a property test can throw anything at them.

use jsonrpsee::types::Params;
use k256::AffinePoint;
use torus_primitives::{
    keys::{is_tss_key_name_of, UserIdKind},
    limits::{MAX_USER_ID_LEN, MAX_VERIFIER_ID_LEN, MAX_VERIFIER_NAME_LEN},
};
use torus_rpc_api::{
    encoding::{decode_hex32, point_from_hex},
    CommitmentParams, LookupParams, ShareItem, ShareParams, MESSAGE_PREFIX,
};

use super::{error::ApiError, MAX_SESSION_SECS};
use crate::id_token::{self, MAX_TOKEN_LEN};

/// The most node signatures a login may carry before the committee is even read (a committee
/// is never larger; the handler then bounds them by the committee's size).
pub const MAX_NODE_SIGNATURES: usize = 1024;
/// The longest field of a node signature accepted (the signed data is ≈ 300 bytes).
const MAX_SIGNATURE_FIELD_LEN: usize = 1024;

/// A key named by a lookup: verifier name and user id, each within its on-chain bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The verifier's name.
    pub verifier: String,
    /// The id the key is assigned under: the verifier id, or for a TSS key's network key the
    /// key's name (`extended_verifier_id`).
    pub user_id: String,
    /// Whether the key is a TSS key's network key.
    pub tss: bool,
    /// The client's clock (Unix seconds, decimal), if sent: replies carry the node's offset.
    pub client_time: Option<String>,
}

/// A `CommitmentRequest`, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commitment {
    /// keccak-256 of the id token.
    pub commitment: [u8; 32],
    /// The client's session key.
    pub session_key: AffinePoint,
    /// The verifier's name.
    pub verifier: String,
    /// The user's id, if the client named it.
    pub verifier_id: Option<String>,
}

/// A `GetShareOrKeyAssign` login, checked: one item, a token in its one accepted spelling,
/// a session lifetime within bounds and at most [`MAX_NODE_SIGNATURES`] signatures.
#[derive(Clone, Debug)]
pub struct Login {
    /// The login as sent.
    pub item: ShareItem,
    /// The commitment of the token ([`id_token::commitment`] of its normalized spelling).
    pub commitment: [u8; 32],
    /// The client's clock (Unix seconds, decimal), if sent.
    pub client_time: Option<String>,
}

fn parse<T: serde::de::DeserializeOwned>(params: &Params<'_>) -> Result<T, ApiError> {
    params
        .parse()
        .map_err(|e| ApiError::InvalidParams(e.message().to_owned()))
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if name.len() > MAX_VERIFIER_NAME_LEN as usize {
        return Err(ApiError::TooLong("verifier name"));
    }
    Ok(())
}

/// A verifier id: within its bound, and without the separators of TSS key names (so that no
/// verifier id can name another user's TSS key).
fn check_id(id: &str) -> Result<(), ApiError> {
    if id.len() > MAX_VERIFIER_ID_LEN as usize {
        return Err(ApiError::TooLong("verifier_id"));
    }
    if UserIdKind::of(id.as_bytes()) != UserIdKind::Plain {
        return Err(ApiError::InvalidParams(
            "verifier_id must not contain U+0015 or U+0016".into(),
        ));
    }
    Ok(())
}

/// `VerifierLookupRequest` and `GetPubKeyOrKeyAssign`: the user's own key, or with
/// `extended_verifier_id` the network key of the user's TSS key of that name.
pub fn lookup(params: &Params<'_>) -> Result<User, ApiError> {
    let p: LookupParams = parse(params)?;
    check_name(&p.verifier)?;
    check_id(&p.verifier_id)?;
    let (user_id, tss) = match p.extended_verifier_id {
        None => (p.verifier_id, false),
        Some(extended) => {
            if extended.len() > MAX_USER_ID_LEN as usize {
                return Err(ApiError::TooLong("extended_verifier_id"));
            }
            if !is_tss_key_name_of(extended.as_bytes(), p.verifier_id.as_bytes()) {
                return Err(ApiError::InvalidParams(
                    "extended_verifier_id must be verifier_id U+0015 tag U+0016 nonce".into(),
                ));
            }
            (extended, true)
        }
    };
    Ok(User {
        verifier: p.verifier,
        user_id,
        tss,
        client_time: p.client_time,
    })
}

/// `CommitmentRequest`.
pub fn commitment(params: &Params<'_>) -> Result<Commitment, ApiError> {
    let p: CommitmentParams = parse(params)?;
    if p.messageprefix != MESSAGE_PREFIX {
        return Err(ApiError::WrongPrefix);
    }
    let commitment = (p.tokencommitment.len() == 64)
        .then(|| decode_hex32(&p.tokencommitment).ok())
        .flatten()
        .ok_or(ApiError::BadCommitment)?;
    let session_key =
        point_from_hex(&p.temppubx, &p.temppuby).map_err(|_| ApiError::BadSessionKey)?;
    check_name(&p.verifieridentifier)?;
    if let Some(id) = &p.verifier_id {
        check_id(id)?;
    }
    Ok(Commitment {
        commitment,
        session_key,
        verifier: p.verifieridentifier,
        verifier_id: p.verifier_id,
    })
}

/// `GetShareOrKeyAssign`.
pub fn login(params: &Params<'_>) -> Result<Login, ApiError> {
    let p: ShareParams = parse(params)?;
    let Ok([item]) = <[ShareItem; 1]>::try_from(p.item) else {
        return Err(ApiError::InvalidParams(
            "item must hold exactly one login".into(),
        ));
    };
    if !(1..=MAX_SESSION_SECS).contains(&item.session_token_exp_second) {
        return Err(ApiError::BadSessionLifetime);
    }
    check_name(&item.verifieridentifier)?;
    check_id(&item.verifier_id)?;
    if item.extended_verifier_id.is_some() {
        return Err(ApiError::NeverReleased);
    }
    if item.idtoken.len() > MAX_TOKEN_LEN + 64 {
        return Err(ApiError::IdToken(id_token::IdTokenError::TooLong));
    }
    if item.nodesignatures.len() > MAX_NODE_SIGNATURES {
        return Err(ApiError::TooManySignatures {
            found: item.nodesignatures.len(),
            members: MAX_NODE_SIGNATURES,
        });
    }
    if item
        .nodesignatures
        .iter()
        .any(|s| s.data.len() > MAX_SIGNATURE_FIELD_LEN || s.signature.len() > 132)
    {
        return Err(ApiError::TooLong("nodesignatures"));
    }
    let token = id_token::normalize(&item.idtoken).map_err(ApiError::IdToken)?;
    let commitment = id_token::commitment(token);
    Ok(Login {
        item,
        commitment,
        client_time: p.client_time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(json: &str) -> Params<'_> {
        Params::new(Some(json))
    }

    #[test]
    fn a_tss_lookup_names_the_network_key_of_the_users_tss_key() {
        let tss = lookup(&params(
            r#"{"verifier":"w","verifier_id":"alice","extended_verifier_id":"alice\u0015default\u00160"}"#,
        ))
        .expect("valid");
        assert_eq!(
            (tss.user_id.as_str(), tss.tss),
            ("alice\u{15}default\u{16}0", true)
        );
        let plain = lookup(&params(r#"{"verifier":"w","verifier_id":"alice"}"#)).expect("valid");
        assert_eq!((plain.user_id.as_str(), plain.tss), ("alice", false));
        // Another user's TSS key, a malformed name, a verifier id that would pose as one.
        for refused in [
            r#"{"verifier":"w","verifier_id":"bob","extended_verifier_id":"alice\u0015default\u00160"}"#,
            r#"{"verifier":"w","verifier_id":"alice","extended_verifier_id":"alice\u0015default"}"#,
            r#"{"verifier":"w","verifier_id":"alice","extended_verifier_id":"alice"}"#,
            r#"{"verifier":"w","verifier_id":"alice\u0015default\u00160"}"#,
        ] {
            assert!(
                matches!(lookup(&params(refused)), Err(ApiError::InvalidParams(_))),
                "{refused}"
            );
        }
        let long = format!(
            r#"{{"verifier":"w","verifier_id":"a","extended_verifier_id":"a\u0015{}\u00160"}}"#,
            "t".repeat(400)
        );
        assert!(matches!(
            lookup(&params(&long)),
            Err(ApiError::TooLong("extended_verifier_id"))
        ));
    }

    #[test]
    fn a_login_never_asks_for_a_tss_keys_network_key() {
        let item = |extra: &str| {
            format!(
                r#"{{"item":[{{"verifieridentifier":"w","verifier_id":"alice","idtoken":"e30.e30.AA","nodesignatures":[]{extra}}}]}}"#
            )
        };
        assert!(login(&params(&item(""))).is_ok());
        assert!(matches!(
            login(&params(&item(
                r#","extended_verifier_id":"alice\u0015default\u00160""#
            ))),
            Err(ApiError::NeverReleased)
        ));
    }

    #[test]
    fn lookups_are_bounded_by_the_chain_limits() {
        let ok = lookup(&params(r#"{"verifier":"demo","verifier_id":"alice"}"#)).expect("valid");
        assert_eq!(ok.verifier, "demo");
        let long_id = format!(
            r#"{{"verifier":"demo","verifier_id":"{}"}}"#,
            "a".repeat(257)
        );
        assert!(matches!(
            lookup(&params(&long_id)),
            Err(ApiError::TooLong("verifier_id"))
        ));
        let long_name = format!(r#"{{"verifier":"{}","verifier_id":"a"}}"#, "v".repeat(65));
        assert!(matches!(
            lookup(&params(&long_name)),
            Err(ApiError::TooLong("verifier name"))
        ));
        assert!(matches!(
            lookup(&params(r#"{"verifier":1}"#)),
            Err(ApiError::InvalidParams(_))
        ));
        assert!(matches!(
            lookup(&params("not json")),
            Err(ApiError::InvalidParams(_))
        ));
    }

    #[test]
    fn a_login_holds_one_bounded_item() {
        let item = |extra: &str| {
            format!(
                r#"{{"item":[{{"verifieridentifier":"demo","verifier_id":"a","idtoken":"e30.e30.AA","nodesignatures":[]{extra}}}]}}"#
            )
        };
        assert!(login(&params(&item(""))).is_ok());
        assert!(matches!(
            login(&params(&item(r#","session_token_exp_second":0"#))),
            Err(ApiError::BadSessionLifetime)
        ));
        assert!(matches!(
            login(&params(&item(
                r#","session_token_exp_second":18446744073709551615"#
            ))),
            Err(ApiError::BadSessionLifetime)
        ));
        assert!(matches!(
            login(&params(r#"{"item":[]}"#)),
            Err(ApiError::InvalidParams(_))
        ));
        let many = format!(
            r#"{{"item":[{{"verifieridentifier":"demo","verifier_id":"a","idtoken":"e30.e30.AA","nodesignatures":[{}]}}]}}"#,
            vec![r#"{"signature":"","data":"","nodepubx":"","nodepuby":""}"#; 1025].join(",")
        );
        assert!(matches!(
            login(&params(&many)),
            Err(ApiError::TooManySignatures { found: 1025, .. })
        ));
        let bad_token = item("").replace("e30.e30.AA", "e30.e30=.AA");
        assert!(matches!(
            login(&params(&bad_token)),
            Err(ApiError::IdToken(id_token::IdTokenError::Malformed))
        ));
    }

    #[test]
    fn a_commitment_request_names_a_curve_point_and_64_hex_digits() {
        let g = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
        let gy = "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8";
        let request = |prefix: &str, commitment: &str, y: &str| {
            format!(
                r#"{{"messageprefix":"{prefix}","tokencommitment":"{commitment}","temppubx":"{g}","temppuby":"{y}","verifieridentifier":"demo"}}"#
            )
        };
        let ok = commitment(&params(&request("mug00", &"ab".repeat(32), gy))).expect("valid");
        assert_eq!(ok.commitment, [0xab; 32]);
        assert!(matches!(
            commitment(&params(&request("mug01", &"ab".repeat(32), gy))),
            Err(ApiError::WrongPrefix)
        ));
        assert!(matches!(
            commitment(&params(&request("mug00", "ab", gy))),
            Err(ApiError::BadCommitment)
        ));
        assert!(matches!(
            commitment(&params(&request("mug00", &"ab".repeat(32), g))),
            Err(ApiError::BadSessionKey)
        ));
    }
}
