"""Valid registry rows in the exchange format, and households made through the services.

ids are real GB 11643 numbers built with fupin.core.idcard.make; `seq` keeps them unique.
"""

import datetime as dt
import itertools

from fupin.core import idcard

_seq = itertools.count(1)


def new_id(born: dt.date = dt.date(1970, 5, 17), sex: str = "男", prefix: str = "431027") -> str:
    n = next(_seq)
    # the 3-digit sequence: odd for 男, even for 女; vary the prefix's last digits to stay unique.
    seq3 = (n * 2 + (1 if sex == "男" else 0)) % 1000
    # Past 500 numbers, move the birth date a day instead of the birthplace, so the prefix stays put.
    return idcard.make(prefix, born - dt.timedelta(days=n // 500), seq3)


def household_row(number: str, village: str, head_name: str = "张三", head_id: str | None = None, **kw) -> dict:
    row = {
        "户编号": number, "户类型": "建档立卡户", "行政区划代码": village, "村民小组": "一组",
        "户主姓名": head_name, "户主证件号码": head_id or "", "联系电话": "13807351234",
        "识别年度": 2014, "贫困户属性": "一般贫困户", "主要致贫原因": "因病", "其他致贫原因": "缺技术",
        "脱贫状态": "未脱贫", "脱贫年度": "", "收入年度": 2016, "工资性收入": 6000, "生产经营性收入": 2000,
        "财产性收入": 0, "转移性收入": 1500, "生产经营性支出": 500, "合规自付医疗支出": 0, "其他刚性支出": 0,
        "风险类型": "", "不愁吃": "是", "不愁穿": "是", "住房安全等级": "B", "已完成危房改造": "否",
        "易地扶贫搬迁入住": "否", "饮水安全": "是", "耕地面积": "1.5", "林地面积": "", "开户银行": "桂东县农村信用社",
        "银行账号": "6230901234567890123",
    }
    row.update(kw)
    return row


def member_row(number: str, name: str, id_number: str, relation: str = "户主", sex: str | None = None, **kw) -> dict:
    row = {
        "户编号": number, "姓名": name, "证件号码": id_number, "与户主关系": relation,
        "性别": sex or idcard.sex(id_number), "出生日期": "", "民族": "汉族", "文化程度": "初中",
        "在校生状况": "非在校生", "健康状况": "健康", "劳动技能": "普通劳动力", "送教上门或免学": "否",
        "是否现役军人": "否", "基本医疗保险": "是", "基本养老保险": "是", "务工状况": "", "务工时间": "",
        "成员状态": "在户", "状态变更日期": "",
    }
    row.update(kw)
    return row


def family(number: str, village: str, head_name: str = "张三", size: int = 3, **hh_kw) -> tuple[dict, list[dict]]:
    """A household row and `size` member rows (head, spouse, children) that agree with each other."""
    head_id = new_id(dt.date(1968, 3, 9), "男")
    members = [member_row(number, head_name, head_id, "户主")]
    names = ["李秀英", "张伟", "张丽", "张强", "张敏"]
    rels = [("配偶", dt.date(1970, 8, 1), "女"), ("之子", dt.date(2005, 1, 20), "男"), ("之女", dt.date(2009, 6, 2), "女"),
            ("之子", dt.date(2011, 9, 9), "男"), ("之女", dt.date(1995, 2, 2), "女")]
    for i in range(size - 1):
        rel, born, sex = rels[i]
        members.append(member_row(number, names[i], new_id(born, sex), rel))
    return household_row(number, village, head_name, head_id, **hh_kw), members


def make_household(actor, number: str, village: str, head_name: str = "张三", size: int = 3, **hh_kw):
    from fupin.registry.services import household_create

    hh, members = family(number, village, head_name, size, **hh_kw)
    return household_create(actor=actor, household=hh, members=members)
