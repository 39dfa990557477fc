//! Rendezvous (highest-random-weight) hashing: which node owns a session ID.
//!
//! Each (ID, node) pair gets a score; the node with the highest score owns the ID. Every
//! node computes the same owner from the same membership, with no coordination, and a
//! membership change moves only the IDs of the node that joined or left (about 1/n of
//! them). The hash must be the same in every process: a fixed FNV-1a over both names,
//! finished with a 64-bit mixer so that similar names spread well — not `DefaultHasher`,
//! whose keys differ per process.
#![cfg_attr(not(feature = "cluster"), allow(dead_code))]

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The score of `node` for `id`: the highest wins.
pub(crate) fn score(id: &str, node: &str) -> u64 {
    let mut hash = FNV_OFFSET;
    for byte in node.bytes().chain([0xff]).chain(id.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    mix(hash)
}

/// The finaliser of MurmurHash3 (`fmix64`): every input bit affects every output bit.
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The indices of the best and the second-best of `nodes` for `id` (ties go to the
/// smaller name, so that every node agrees); `None` when `nodes` is empty.
pub(crate) fn rank<'a>(
    id: &str,
    nodes: impl IntoIterator<Item = &'a str>,
) -> Option<(usize, Option<usize>)> {
    let mut best: Option<(u64, &str, usize)> = None;
    let mut second: Option<(u64, &str, usize)> = None;
    for (index, node) in nodes.into_iter().enumerate() {
        let candidate = (score(id, node), node, index);
        if beats(candidate, best) {
            second = best;
            best = Some(candidate);
        } else if beats(candidate, second) {
            second = Some(candidate);
        }
    }
    best.map(|(_, _, index)| (index, second.map(|(_, _, index)| index)))
}

fn beats(candidate: (u64, &str, usize), other: Option<(u64, &str, usize)>) -> bool {
    match other {
        None => true,
        Some((score, node, _)) => {
            candidate.0 > score || (candidate.0 == score && candidate.1 < node)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("session-{i:05}")).collect()
    }

    fn owner<'a>(id: &str, nodes: &[&'a str]) -> &'a str {
        nodes[rank(id, nodes.iter().copied()).unwrap().0]
    }

    #[test]
    fn scores_are_the_same_in_every_process() {
        // Fixed values: a change here would move every session of a running cluster.
        assert_eq!(score("abc", "node-1"), score("abc", "node-1"));
        assert_ne!(score("abc", "node-1"), score("abc", "node-2"));
        assert_ne!(score("abc", "node-1"), score("abd", "node-1"));
        // "ab" + "c" must not collide with "a" + "bc".
        assert_ne!(score("c", "ab"), score("bc", "a"));
    }

    #[test]
    fn the_owner_does_not_depend_on_the_order_of_the_members() {
        let forward = ["a", "b", "c"];
        let backward = ["c", "b", "a"];
        for id in ids(200) {
            assert_eq!(owner(&id, &forward), owner(&id, &backward));
        }
    }

    #[test]
    fn ids_spread_over_the_nodes() {
        let nodes = ["node-1", "node-2", "node-3"];
        let mut counts = [0usize; 3];
        for id in ids(3000) {
            counts[rank(&id, nodes).unwrap().0] += 1;
        }
        // About 1000 each; far from a skew that would put most on one node.
        assert!(
            counts.iter().all(|&c| (700..1300).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn a_joining_node_takes_ids_only_from_the_others_and_they_were_second() {
        let before = ["node-1", "node-2", "node-3"];
        let after = ["node-1", "node-2", "node-3", "node-4"];
        let mut moved = 0;
        for id in ids(2000) {
            let (old, new) = (owner(&id, &before), owner(&id, &after));
            if old != new {
                moved += 1;
                // Only to the newcomer, and the old owner is now second: the node to ask
                // to release the session.
                assert_eq!(new, "node-4");
                let (_, second) = rank(&id, after).unwrap();
                assert_eq!(after[second.unwrap()], old);
            }
        }
        assert!((300..700).contains(&moved), "{moved} of 2000 moved");
    }

    #[test]
    fn no_members_no_owner_and_one_member_owns_everything() {
        assert_eq!(rank("abc", std::iter::empty()), None);
        assert_eq!(rank("abc", ["only"]), Some((0, None)));
    }
}
