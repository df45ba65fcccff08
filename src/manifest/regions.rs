//! `spec.region` against Tencent Cloud's region names. The TCMPP and TCSAS API references
//! publish no region list of their own, so the names are the Tencent Cloud regions the common
//! parameters document (`X-TC-Region`). A name not of the form `area-city` (e.g. `guangzhou`,
//! `ap_guangzhou`) is an obvious mistake: an error, with the region it most likely means. A
//! well-formed name mnpsync does not know is a warning: a new region may exist.

/// Tencent Cloud's documented region names.
pub const KNOWN_REGIONS: &[&str] = &[
    "ap-bangkok",
    "ap-beijing",
    "ap-chengdu",
    "ap-chongqing",
    "ap-guangzhou",
    "ap-hongkong",
    "ap-jakarta",
    "ap-mumbai",
    "ap-nanjing",
    "ap-seoul",
    "ap-shanghai",
    "ap-shanghai-fsi",
    "ap-shenzhen-fsi",
    "ap-singapore",
    "ap-tokyo",
    "eu-frankfurt",
    "na-ashburn",
    "na-siliconvalley",
    "na-toronto",
    "sa-saopaulo",
];

/// What [`check`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionCheck {
    Known,
    /// Well formed, not in [`KNOWN_REGIONS`]: a warning.
    Unknown,
    /// Not a region name; the region it most likely means, if one is close.
    Malformed(Option<&'static str>),
}

/// Checks one `spec.region` value.
pub fn check(region: &str) -> RegionCheck {
    if KNOWN_REGIONS.contains(&region) {
        return RegionCheck::Known;
    }
    let well_formed = region.split_once('-').is_some_and(|(area, rest)| {
        area.len() == 2
            && area.chars().all(|c| c.is_ascii_lowercase())
            && !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    });
    if well_formed {
        return RegionCheck::Unknown;
    }
    let lower = region.to_ascii_lowercase().replace(['_', ' '], "-");
    let suggestion = KNOWN_REGIONS
        .iter()
        .find(|k| **k == lower || k.split_once('-').is_some_and(|(_, city)| city == lower))
        .copied()
        .or_else(|| {
            KNOWN_REGIONS
                .iter()
                .map(|k| (strsim::levenshtein(k, &lower), *k))
                .filter(|(d, _)| *d <= 3)
                .min()
                .map(|(_, k)| k)
        });
    RegionCheck::Malformed(suggestion)
}

/// The error for a region that is not a region name (with the one it most likely means), or
/// `None` for a well-formed one.
pub(super) fn malformed(region: &str) -> Option<String> {
    let RegionCheck::Malformed(suggestion) = check(region) else {
        return None;
    };
    let hint = suggestion.map_or_else(
        || "; regions are written like `ap-guangzhou`".to_string(),
        |s| format!("; did you mean `{s}`?"),
    );
    Some(format!(
        "invalid value for `spec.region`: {} is not a Tencent Cloud region name{hint}",
        super::yaml::snippet(region)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_known_unknown_or_malformed() {
        assert_eq!(check("ap-guangzhou"), RegionCheck::Known);
        assert_eq!(check("ap-newcity"), RegionCheck::Unknown);
        assert_eq!(
            check("guangzhou"),
            RegionCheck::Malformed(Some("ap-guangzhou"))
        );
        assert_eq!(
            check("ap_singapore"),
            RegionCheck::Malformed(Some("ap-singapore"))
        );
        assert_eq!(check("AP-Tokyo"), RegionCheck::Malformed(Some("ap-tokyo")));
        assert_eq!(
            check("apguangzhou"),
            RegionCheck::Malformed(Some("ap-guangzhou"))
        );
        assert_eq!(check("mars"), RegionCheck::Malformed(None));
    }
}
