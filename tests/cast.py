"""The fixed cast of people every access test uses (architecture.md, layer 8)."""

CITY = "431000000000"          # 郴州市
COUNTY = "431027000000"        # 桂东县
TOWNSHIP = "431027101000"      # 桂东县沙田镇
VILLAGE_A = "431027101200"     # 沙田镇水庄村
VILLAGE_B = "431027101201"     # 沙田镇江湾村
OTHER_COUNTY_VILLAGE = "431022101201"  # 宜章县白石渡镇, outside 桂东县

PASSWORD = "Fupin-Test-2017"

CAST = {
    # name: (role, [areas])
    "city_officer": ("city", [CITY]),
    "county_officer": ("county", [COUNTY]),
    "township_officer": ("township", [TOWNSHIP]),
    "clerk_a": ("village", [VILLAGE_A]),
    "clerk_b": ("village", [VILLAGE_B]),
    "helper": ("helper", [TOWNSHIP]),
    "auditor": ("auditor", [CITY]),
    "inspector": ("inspector", [COUNTY]),
}
