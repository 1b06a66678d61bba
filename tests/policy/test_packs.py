"""Policy packs (domain.md section 5, cli.md `--policy FILE`): the built-in figures are the spec's,
a bad pack is refused naming the key, TOML and YAML mean the same, a year the pack lacks is
E_POLICY_YEAR."""

from decimal import Decimal

import pytest
import yaml

from fupin.core.errors import ApplicationError
from fupin.policy.packs import PackError, builtin, builtin_names, load_file, parse_pack, resolve
from tests.policy.conftest import pack_text, run_cli

HUNAN_LINES = {2014: 2736, 2015: 2855, 2016: 2952, 2017: 3026, 2018: 3200, 2019: 3400, 2020: 4000}
NATIONAL_LINES = {2015: 2968, 2016: 3146, 2017: 3335, 2018: 3535, 2019: 3747, 2020: 4000}
CHECKLIST = [("通硬化路", "bool", "ROAD", None), ("通安全饮水", "bool", "WATER", None),
             ("通生活用电", "bool", "POWER", None), ("有标准化卫生室", "bool", "CLINIC", None),
             ("通宽带", "bool", "BROADBAND", None), ("村集体经济收入", "yuan", "COLLECTIVE_INCOME", Decimal(50000))]
RISKS = ("大病", "重残", "灾害", "意外事故", "产业失败", "务工不稳", "缺劳动力")


def test_both_builtin_packs_exist():
    assert {"hunan", "national-6pct"} <= set(builtin_names())


@pytest.mark.parametrize(("name", "lines"), [("hunan", HUNAN_LINES), ("national-6pct", NATIONAL_LINES)])
def test_builtin_figures_are_the_specs(name, lines):
    p = builtin(name)
    assert p.name == name
    assert {y: p.line(y) for y in lines} == {y: Decimal(v) for y, v in lines.items()}
    assert set(p.poverty_lines) == set(lines)      # no year the spec does not give
    assert (p.edu_min_age, p.edu_max_age) == (6, 15)
    assert [p.water_applies(y) for y in (2014, 2018, 2019, 2020)] == [False, False, True, True]
    assert p.village_incidence_below == 2
    assert [(i.column, i.kind, i.code, i.min) for i in p.checklist] == CHECKLIST
    assert (p.county_incidence_below, p.wrongful_exit_below, p.missed_identification_below, p.approval_above) == (
        2, 2, 2, 90)
    assert p.sample_share == 20
    assert p.notice_days == {"household": 7, "village": 7, "project": 10}
    assert p.monitoring_thresholds == {2021: Decimal(6000)} and p.monitoring_threshold(2021) == 6000
    assert p.spending_share == 50
    assert p.risk_events == RISKS
    assert p.min_months_before_elimination == 6


@pytest.mark.parametrize(("name", "year"), [("hunan", 2013), ("hunan", 2021), ("national-6pct", 2014)])
def test_a_year_missing_from_the_pack_is_E_POLICY_YEAR(name, year):
    with pytest.raises(ApplicationError) as e:
        builtin(name).line(year)
    assert e.value.code == "E_POLICY_YEAR" and str(year) in e.value.message
    assert " / " in e.value.message  # Chinese, then English


def test_monitoring_year_missing_is_E_POLICY_YEAR():
    with pytest.raises(ApplicationError) as e:
        builtin("hunan").monitoring_threshold(2022)
    assert e.value.code == "E_POLICY_YEAR"


def minimal(**extra) -> dict:
    return {"name": "x", "version": "1", "poverty_lines": {2017: 3026}, **extra}


def bad(data: dict | str, fmt="yaml") -> PackError:
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
    with pytest.raises(PackError) as e:
        parse_pack(text, source="bad.yaml", fmt=fmt)
    assert e.value.code == "E_POLICY_PACK"
    return e.value


def test_a_minimal_pack_takes_the_spec_defaults():
    p = parse_pack(yaml.safe_dump(minimal()))
    assert p.line(2017) == 3026 and (p.edu_min_age, p.edu_max_age) == (6, 15) and p.water_from == 2019
    assert [(i.column, i.kind, i.code, i.min) for i in p.checklist] == CHECKLIST
    assert p.notice_days == {"household": 7, "village": 7, "project": 10}
    assert p.monitoring_threshold(2021) == 6000 and p.spending_share == 50


def checklist(**change_second) -> list:
    items = [{"column": "通硬化路", "kind": "bool", "code": "ROAD"},
             {"column": "村集体经济收入", "kind": "yuan", "min": 50000, "code": "COLLECTIVE_INCOME"}]
    items[1].update(change_second)
    return items


@pytest.mark.parametrize(("data", "key"), [
    (minimal(colour="red"), "colour"),                                                    # unknown key
    (minimal(county_exit={"aproval_above": 90}), "county_exit.aproval_above"),            # misspelt key
    (minimal(monitoring={"income_threshold": {2021: 6000}}), "monitoring.income_threshold"),
    ({"name": "x", "version": "1"}, "poverty_lines"),                                     # missing key
    ({"version": "1", "poverty_lines": {2017: 3026}}, "name"),
    (minimal(poverty_lines={}), "poverty_lines"),
    (minimal(poverty_lines={2017: "three thousand"}), "poverty_lines.2017"),               # wrong type
    (minimal(poverty_lines={2017: True}), "poverty_lines.2017"),
    (minimal(poverty_lines={2017: -1}), "poverty_lines.2017"),
    (minimal(poverty_lines={"next year": 3000}), "poverty_lines.next year"),
    (minimal(poverty_lines=[3026]), "poverty_lines"),
    (minimal(compulsory_education={"min_age": "six"}), "compulsory_education.min_age"),
    (minimal(compulsory_education={"min_age": 6.5}), "compulsory_education.min_age"),
    (minimal(compulsory_education={"min_age": 15, "max_age": 6}), "compulsory_education.max_age"),
    (minimal(water_criterion_from="soon"), "water_criterion_from"),
    (minimal(notice_days={"village": "a week"}), "notice_days.village"),
    (minimal(village_exit={"incidence_below": "2%"}), "village_exit.incidence_below"),
    (minimal(village_exit={"checklist": "all"}), "village_exit.checklist"),
    (minimal(village_exit={"checklist": checklist(kind="number")}), "village_exit.checklist[1].kind"),
    (minimal(village_exit={"checklist": checklist(colour="red")}), "village_exit.checklist[1].colour"),
    (minimal(village_exit={"checklist": checklist(min="lots")}), "village_exit.checklist[1].min"),
    (minimal(village_exit={"checklist": [{"column": "通宽带", "kind": "bool"}]}), "village_exit.checklist[0].code"),
    (minimal(village_exit={"checklist": [{"column": "x", "kind": "yuan", "code": "X"}]}),
     "village_exit.checklist[0].min"),
    (minimal(village_exit={"checklist": checklist(column="通硬化路")}), "village_exit.checklist[1].column"),
    (minimal(county_exit={"approval_above": 190}), "county_exit.approval_above"),
    (minimal(monitoring={"income_thresholds": {2021: "x"}}), "monitoring.income_thresholds.2021"),
    (minimal(monitoring={"spending_share": None}), "monitoring.spending_share"),
    (minimal(monitoring={"risk_events": []}), "monitoring.risk_events"),
])
def test_a_bad_pack_names_the_key(data, key):
    e = bad(data)
    assert e.key == key
    assert f"{key}:" in e.message and "bad.yaml" in e.message
    assert e.message.startswith("政策包无效 / invalid policy pack")


def test_a_pack_that_is_not_a_mapping_or_not_yaml():
    assert bad("- just\n- a list\n").key == "(文件 / file)"
    assert bad("name: [unclosed\n").key == "(文件 / file)"
    assert bad("name = \"x\"\nversion = ", fmt="toml").key == "(文件 / file)"


TOML = """
name = "hunan-toml"
version = "2017.1"
water_criterion_from = 2019

[poverty_lines]
2014 = 2736
2015 = 2855
2016 = 2952
2017 = 3026
2018 = 3200
2019 = 3400
2020 = 4000

[compulsory_education]
min_age = 6
max_age = 15

[village_exit]
incidence_below = 2

[[village_exit.checklist]]
column = "通硬化路"
kind = "bool"
code = "ROAD"

[[village_exit.checklist]]
column = "村集体经济收入"
kind = "yuan"
min = 50000
code = "COLLECTIVE_INCOME"

[monitoring.income_thresholds]
2021 = 6000
2022 = 6300
"""


def test_toml_pack_means_the_same_as_yaml(tmp_path):
    path = tmp_path / "hunan.toml"
    path.write_text(TOML, encoding="utf-8")
    p = load_file(path)
    assert p.name == "hunan-toml" and p.poverty_lines == builtin("hunan").poverty_lines
    assert [(i.column, i.code, i.min) for i in p.checklist] == [("通硬化路", "ROAD", None),
                                                                ("村集体经济收入", "COLLECTIVE_INCOME", 50000)]
    assert p.monitoring_threshold(2022) == 6300
    assert resolve(str(path)).sha256 == p.sha256


def test_toml_errors_name_the_key_too(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(TOML.replace('kind = "yuan"', 'kind = "money"'), encoding="utf-8")
    with pytest.raises(PackError) as e:
        load_file(path)
    assert e.value.key == "village_exit.checklist[1].kind"


def test_yaml_file_and_missing_file(tmp_path):
    path = tmp_path / "p.yml"
    path.write_text(pack_text("national-6pct"), encoding="utf-8")
    assert resolve(str(path)).line(2017) == 3335
    with pytest.raises(PackError):
        load_file(tmp_path / "nothing.yaml")


@pytest.mark.django_db
def test_cli_refuses_a_bad_pack_with_exit_1_naming_the_key(tmp_path, capsys):
    data = yaml.safe_load(pack_text())
    data["village_exit"]["checklist"][1]["kind"] = "maybe"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "x.csv"
    rc = run_cli("assess", "households", "--year", "2017", "--policy", path, "--out", out)
    err = capsys.readouterr().err
    assert rc == 1
    assert "village_exit.checklist[1].kind" in err and "E_POLICY_PACK" in err
    assert "政策包无效" in err and "invalid policy pack" in err
    assert not out.exists() and not list(tmp_path.glob("*.part"))


@pytest.mark.django_db
def test_cli_refuses_an_unknown_key_and_a_missing_file(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(pack_text().replace("water_criterion_from:", "water_from:"), encoding="utf-8")
    assert run_cli("assess", "households", "--year", "2017", "--policy", path) == 1
    assert "water_from" in capsys.readouterr().err
    assert run_cli("assess", "households", "--year", "2017", "--policy", tmp_path / "none.yaml") == 1
    assert "none.yaml" in capsys.readouterr().err
