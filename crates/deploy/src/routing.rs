//! An alias's routing: one or two versions with weights that sum to 100, and the weighted draw
//! that picks the version an execution runs (`spec/aws-semantics.md` §1.3–1.4).
//!
//! The draw is a plain function of a random `u64` the caller supplies and records, so a replay
//! picks the same version.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;

/// One entry of a routing: a version number and the percentage of executions it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Route {
    /// The version number (the last part of the version ARN).
    pub version: u64,
    /// The percentage of executions routed to it, `0..=100`.
    pub weight: u8,
}

/// A valid routing: one or two distinct versions whose weights sum to 100.
///
/// Equality is set equality, as AWS compares routings (the order of the entries does not
/// matter): `[{1, 50}, {2, 50}]` equals `[{2, 50}, {1, 50}]`.
#[derive(Debug, Clone, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Route>", into = "Vec<Route>")]
pub struct Routing {
    routes: Vec<Route>,
}

impl Routing {
    /// Checks `routes` with AWS's rules, in AWS's order: one or two entries, each weight at most
    /// 100, distinct versions, weights summing to 100.
    pub fn new(routes: Vec<Route>) -> Result<Routing, Error> {
        if routes.is_empty() || routes.len() > 2 {
            return Err(Error::InvalidRouting(format!(
                "a routing has one or two entries, got {}",
                routes.len()
            )));
        }
        if let Some((index, route)) = routes.iter().enumerate().find(|(_, r)| r.weight > 100) {
            return Err(Error::InvalidRouting(format!(
                "weight {} of entry {} is above 100",
                route.weight,
                index + 1
            )));
        }
        if routes.len() == 2 && routes[0].version == routes[1].version {
            return Err(Error::InvalidRouting(format!(
                "version {} appears twice",
                routes[0].version
            )));
        }
        let sum: u32 = routes.iter().map(|route| u32::from(route.weight)).sum();
        if sum != 100 {
            let weights: Vec<String> = routes.iter().map(|r| r.weight.to_string()).collect();
            return Err(Error::InvalidRouting(format!(
                "weights must sum to 100, got [{}]",
                weights.join(", ")
            )));
        }
        Ok(Routing { routes })
    }

    /// All executions to `version`.
    pub fn single(version: u64) -> Routing {
        Routing {
            routes: vec![Route {
                version,
                weight: 100,
            }],
        }
    }

    /// `origin` gets `100 - target_weight`, `target` gets `target_weight`; a target weight of
    /// 100 gives the single-entry routing, as AWS writes the end of a shift.
    pub(crate) fn split(origin: u64, target: u64, target_weight: u8) -> Routing {
        if target_weight >= 100 {
            return Routing::single(target);
        }
        Routing {
            routes: vec![
                Route {
                    version: origin,
                    weight: 100 - target_weight,
                },
                Route {
                    version: target,
                    weight: target_weight,
                },
            ],
        }
    }

    /// The entries, in the order they were given.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The weight of `version`, 0 when the routing does not name it.
    pub fn weight_of(&self, version: u64) -> u8 {
        self.routes
            .iter()
            .find(|route| route.version == version)
            .map_or(0, |route| route.weight)
    }

    /// The only version, when the routing has one entry.
    pub fn only_version(&self) -> Option<u64> {
        match self.routes.as_slice() {
            [route] => Some(route.version),
            _ => None,
        }
    }

    /// The version an execution runs, given a uniformly random `draw` (which the caller
    /// records with the execution).
    ///
    /// The draw is scaled to a slot in `0..100` by multiplication (`draw * 100 / 2^64`), not by
    /// remainder, so every slot covers the same share of `u64` to within one value; each entry
    /// takes `weight` consecutive slots, in order. A weight of 0 is never picked: `0` lands in
    /// slot 0 and `u64::MAX` in slot 99.
    pub fn pick(&self, draw: u64) -> u64 {
        let slot = ((u128::from(draw) * 100) >> 64) as u32;
        let mut bound = 0;
        for route in &self.routes {
            bound += u32::from(route.weight);
            if slot < bound {
                return route.version;
            }
        }
        // Unreachable for a valid routing (weights sum to 100 and slot < 100).
        self.routes[self.routes.len() - 1].version
    }
}

impl PartialEq for Routing {
    fn eq(&self, other: &Routing) -> bool {
        let mut mine = self.routes.clone();
        let mut theirs = other.routes.clone();
        mine.sort();
        theirs.sort();
        mine == theirs
    }
}

impl TryFrom<Vec<Route>> for Routing {
    type Error = Error;

    fn try_from(routes: Vec<Route>) -> Result<Routing, Error> {
        Routing::new(routes)
    }
}

impl From<Routing> for Vec<Route> {
    fn from(routing: Routing) -> Vec<Route> {
        routing.routes
    }
}

/// `v1 90%, v2 10%`: how the timeline and error messages show a routing.
impl fmt::Display for Routing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, route) in self.routes.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            write!(f, "v{} {}%", route.version, route.weight)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn routing(routes: &[(u64, u8)]) -> Result<Routing, Error> {
        Routing::new(
            routes
                .iter()
                .map(|&(version, weight)| Route { version, weight })
                .collect(),
        )
    }

    fn check_invalid(routes: &[(u64, u8)], message: &str) {
        assert_eq!(routing(routes).unwrap_err().to_string(), message);
    }

    #[test]
    fn validation_follows_aws_order() {
        check_invalid(
            &[],
            "invalid routing: a routing has one or two entries, got 0",
        );
        check_invalid(
            &[(1, 50), (2, 30), (3, 20)],
            "invalid routing: a routing has one or two entries, got 3",
        );
        check_invalid(
            &[(1, 101), (1, 101)],
            "invalid routing: weight 101 of entry 1 is above 100",
        );
        check_invalid(
            &[(1, 50), (1, 50)],
            "invalid routing: version 1 appears twice",
        );
        check_invalid(
            &[(1, 70), (2, 29)],
            "invalid routing: weights must sum to 100, got [70, 29]",
        );
        check_invalid(
            &[(1, 99)],
            "invalid routing: weights must sum to 100, got [99]",
        );
        assert!(routing(&[(1, 100), (2, 0)]).is_ok());
        assert!(routing(&[(7, 100)]).is_ok());
    }

    #[test]
    fn equality_ignores_order() {
        assert_eq!(
            routing(&[(1, 60), (2, 40)]).unwrap(),
            routing(&[(2, 40), (1, 60)]).unwrap()
        );
        assert_ne!(
            routing(&[(1, 60), (2, 40)]).unwrap(),
            routing(&[(1, 40), (2, 60)]).unwrap()
        );
        assert_ne!(routing(&[(1, 100), (2, 0)]).unwrap(), Routing::single(1));
    }

    #[test]
    fn draw_edges() {
        let half = routing(&[(1, 50), (2, 50)]).unwrap();
        assert_eq!(half.pick(0), 1);
        assert_eq!(half.pick(u64::MAX), 2);
        assert_eq!(half.pick(u64::MAX / 2), 1);
        assert_eq!(half.pick(u64::MAX / 2 + 1), 2);
        let zero_second = routing(&[(1, 100), (2, 0)]).unwrap();
        assert_eq!(zero_second.pick(u64::MAX), 1);
        let zero_first = routing(&[(1, 0), (2, 100)]).unwrap();
        assert_eq!(zero_first.pick(0), 2);
        let one_percent = routing(&[(1, 99), (2, 1)]).unwrap();
        assert_eq!(one_percent.pick(u64::MAX), 2);
        assert_eq!(one_percent.pick(0), 1);
    }

    #[test]
    fn every_slot_covers_the_same_share() {
        // Slot k starts at ceil(k * 2^64 / 100): check that the draw just below each start is
        // still in the slot before, for a routing that gives each slot boundary meaning.
        for k in 1..100u8 {
            let routing = routing(&[(1, k), (2, 100 - k)]).unwrap();
            let start = ((u128::from(k) << 64).div_ceil(100)) as u64;
            assert_eq!(routing.pick(start), 2, "slot {k}");
            assert_eq!(routing.pick(start - 1), 1, "slot {k}");
        }
    }

    /// A small deterministic generator (SplitMix64) for the distribution test.
    fn split_mix(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    proptest! {
        #[test]
        fn the_split_matches_the_weights(first in 0u8..=100, seed: u64) {
            let routing = routing(&[(1, first), (2, 100 - first)]).unwrap();
            let draws = 20_000;
            let mut state = seed;
            let ones = (0..draws).filter(|_| routing.pick(split_mix(&mut state)) == 1).count();
            let share = ones as f64 / f64::from(draws);
            // Four standard deviations of a binomial share at p = 0.5 is about 0.014.
            prop_assert!((share - f64::from(first) / 100.0).abs() < 0.02, "share {share} for {first}");
            if first == 0 { prop_assert_eq!(ones, 0); }
            if first == 100 { prop_assert_eq!(ones, draws as usize); }
        }

        #[test]
        fn a_draw_never_lands_on_a_zero_weight(first in 0u8..=100, draw: u64) {
            let routing = routing(&[(1, first), (2, 100 - first)]).unwrap();
            let picked = routing.pick(draw);
            prop_assert!(routing.weight_of(picked) > 0);
        }
    }
}
