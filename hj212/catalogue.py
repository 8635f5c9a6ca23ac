"""The code tables as data: ST, CN, QnRtn, ExeRtn and data flags, with Chinese names (research §2.4–§2.7).

Sources: HJ 212-2017 表5 (ST), 表9 (CN), 表6/表7 (QnRtn/ExeRtn), 表8 (flags); HJ/T 212-2005 §6.5 and its
command list; HJ 212-2025 additions as *reported* by implementations (the text was not available): marked
`reported=True`. Unknown codes are legal on the wire: look-ups return None, frames are never refused for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

__all__ = [
    "CN",
    "CN_CODES",
    "DATA_FLAGS",
    "DATA_FLAGS_2005",
    "EXE_RTN",
    "NOTICES_FROM_FIELD",
    "QN_RTN",
    "REPLY_CNS",
    "ST_CODES",
    "Code",
]

UP = "up"  # 现场机 → 上位机 (terminal to platform)
DOWN = "down"  # 上位机 → 现场机 (platform to terminal)
BOTH = "both"


@dataclass(frozen=True, slots=True)
class Code:
    """One catalogue entry: its Chinese name, direction (up/down/both), kind, and the versions defining it."""

    code: str
    name: str
    direction: str = BOTH
    kind: str = ""  # request, upload, notice, reply, heartbeat, system
    versions: tuple[str, ...] = ("2017",)
    reported: bool = False  # True: from implementations of 2025, not verified against the standard text


def _table(*entries: Code) -> MappingProxyType[str, Code]:
    return MappingProxyType({e.code: e for e in entries})


_ALL = ("2005", "2017", "2025")
_NEW = ("2017", "2025")

# HJ 212-2017 表5; 2005 §6.5; 2025 reported (ST 44/45).
ST_CODES = _table(
    Code("21", "地表水质量监测", kind="system", versions=_ALL),
    Code("22", "空气质量监测", kind="system", versions=_ALL),
    Code("23", "声环境质量监测", kind="system", versions=_ALL),
    Code("24", "地下水质量监测", kind="system", versions=_NEW),
    Code("25", "土壤质量监测", kind="system", versions=_NEW),
    Code("26", "海水质量监测", kind="system", versions=_NEW),
    Code("27", "挥发性有机物监测", kind="system", versions=_NEW),
    Code("31", "大气环境污染源", kind="system", versions=_ALL),
    Code("32", "地表水体环境污染源", kind="system", versions=_ALL),
    Code("33", "地下水体环境污染源", kind="system", versions=_ALL),
    Code("34", "海洋环境污染源", kind="system", versions=_ALL),
    Code("35", "土壤环境污染源", kind="system", versions=_ALL),
    Code("36", "声环境污染源", kind="system", versions=_ALL),
    Code("37", "振动环境污染源", kind="system", versions=_ALL),
    Code("38", "放射性环境污染源", kind="system", versions=_ALL),
    Code("39", "工地扬尘污染源", kind="system", versions=_NEW),
    Code("41", "电磁环境污染源", kind="system", versions=_ALL),
    Code("44", "用电监控", kind="system", versions=("2025",), reported=True),
    Code("45", "关键生产工况监控", kind="system", versions=("2025",), reported=True),
    Code("51", "烟气排放过程监控", kind="system", versions=_NEW),
    Code("52", "污水排放过程监控", kind="system", versions=_NEW),
    Code("91", "系统交互", kind="system", versions=_ALL),
)

# HJ 212-2017 表9, HJ/T 212-2005 命令列表, 2025 additions (reported).
CN_CODES = _table(
    Code("1000", "设置超时时间及重发次数", DOWN, "request", _ALL),
    Code("1001", "设置超限报警时间 (2005) / 上传数采仪硬件序号 (2025)", BOTH, "request", ("2005", "2025")),
    Code("1002", "设置数采仪MN编码", DOWN, "request", ("2025",), reported=True),
    Code("1011", "提取现场机时间 / 上传现场机时间", BOTH, "request", _ALL),
    Code("1012", "设置现场机时间", DOWN, "request", _ALL),
    Code("1013", "现场机时间校准请求", UP, "notice", _NEW),
    Code("1014", "现场机获取新密钥 / 上位机下发新密钥", BOTH, "request", ("2025",), reported=True),
    Code("1021", "提取污染物报警门限值 / 上传污染物报警门限值", BOTH, "request", ("2005",)),
    Code("1022", "设置污染物报警门限值", DOWN, "request", ("2005",)),
    Code("1031", "提取上位机地址 / 上传上位机地址", BOTH, "request", ("2005",)),
    Code("1032", "设置上位机地址", DOWN, "request", ("2005",)),
    Code("1041", "提取数据上报时间 / 上传数据上报时间", BOTH, "request", ("2005",)),
    Code("1042", "设置数据上报时间", DOWN, "request", ("2005",)),
    Code("1061", "提取实时数据间隔 / 上传实时数据间隔", BOTH, "request", _ALL),
    Code("1062", "设置实时数据间隔", DOWN, "request", _ALL),
    Code("1063", "提取分钟数据间隔 / 上传分钟数据间隔", BOTH, "request", _NEW),
    Code("1064", "设置分钟数据间隔", DOWN, "request", _NEW),
    Code("1072", "设置现场机访问密码", DOWN, "request", _ALL),
    Code("2011", "取污染物实时数据 / 上传污染物实时数据", BOTH, "upload", _ALL),
    Code("2012", "停止察看污染物实时数据", DOWN, "notice", _ALL),
    Code("2013", "取原始监测数据 / 上传原始监测数据", BOTH, "upload", ("2025",), reported=True),
    Code("2021", "取设备运行状态数据 / 上传设备运行状态数据", BOTH, "upload", _ALL),
    Code("2022", "停止察看设备运行状态", DOWN, "notice", _ALL),
    Code("2031", "取污染物日历史数据 / 上传污染物日历史数据", BOTH, "upload", _ALL),
    Code("2041", "取设备运行时间日历史数据 / 上传设备运行时间日历史数据", BOTH, "upload", _ALL),
    Code("2051", "取污染物分钟数据 / 上传污染物分钟数据", BOTH, "upload", _ALL),
    Code("2052", "上传噪声单次测量数据", UP, "upload", ("2025",), reported=True),
    Code("2061", "取污染物小时数据 / 上传污染物小时数据", BOTH, "upload", _ALL),
    Code("2062", "取自动标样核查数据 / 上传自动标样核查数据", BOTH, "upload", ("2025",), reported=True),
    Code("2071", "取污染物报警记录 / 上传污染物报警记录", BOTH, "upload", ("2005",)),
    Code("2072", "上传报警事件", UP, "notice", ("2005",)),
    Code("2081", "上传数采仪开机时间", UP, "upload", _NEW),
    Code("2111", "上传炉膛温度5分钟均值", UP, "upload", ("2025",), reported=True),
    Code("3011", "零点校准量程校准", DOWN, "request", _ALL),
    Code("3012", "即时采样", DOWN, "request", _ALL),
    Code("3013", "启动清洗/反吹", DOWN, "request", _ALL),
    Code("3014", "比对采样", DOWN, "request", _ALL),
    Code("3015", "超标留样 / 上传超标留样信息", BOTH, "request", _NEW),
    Code("3016", "设置采样时间周期", DOWN, "request", _NEW),
    Code("3017", "提取采样时间周期 / 上传采样时间周期", BOTH, "request", _NEW),
    Code("3018", "提取出样时间 / 上传出样时间", BOTH, "request", _NEW),
    Code("3019", "提取设备唯一标识 / 上传设备唯一标识", BOTH, "request", _NEW),
    Code("3020", "提取现场机信息 / 上传现场机信息", BOTH, "request", _NEW),
    Code("3021", "设置现场机参数", DOWN, "request", _NEW),
    Code("3022", "下发即时留样任务", DOWN, "request", ("2025",), reported=True),
    Code("3024", "启动标样核查", DOWN, "request", ("2025",), reported=True),
    Code("9011", "请求应答", UP, "reply", _ALL),
    Code("9012", "执行结果", UP, "reply", _ALL),
    Code("9013", "通知应答", BOTH, "reply", _ALL),
    Code("9014", "数据应答", BOTH, "reply", _ALL),
    Code("9015", "心跳包", UP, "heartbeat", ("2025",), reported=True),
)


class CN:
    """Named command codes (表9) for the CNs the platform and the simulator act on; any other CN is still legal."""

    SET_TIMEOUT_RETRY: Final = "1000"
    GET_FIELD_TIME: Final = "1011"  # also the terminal's upload of its time
    SET_FIELD_TIME: Final = "1012"
    TIME_CALIBRATION: Final = "1013"  # the terminal asks the platform to set its clock (a notice)
    GET_RTD_INTERVAL: Final = "1061"
    SET_RTD_INTERVAL: Final = "1062"
    GET_MIN_INTERVAL: Final = "1063"
    SET_MIN_INTERVAL: Final = "1064"
    SET_PASSWORD: Final = "1072"
    REALTIME_DATA: Final = "2011"
    STOP_REALTIME_DATA: Final = "2012"
    FACILITY_STATUS: Final = "2021"
    STOP_FACILITY_STATUS: Final = "2022"
    DAY_DATA: Final = "2031"
    FACILITY_RUNTIME_DAY: Final = "2041"
    MINUTE_DATA: Final = "2051"
    HOUR_DATA: Final = "2061"
    POWER_ON_TIME: Final = "2081"
    INSTRUMENT_SN: Final = "3019"
    FIELD_INFO: Final = "3020"
    SET_FIELD_PARAMS: Final = "3021"
    REQUEST_REPLY: Final = "9011"  # QnRtn
    EXECUTION_RESULT: Final = "9012"  # ExeRtn
    NOTICE_REPLY: Final = "9013"
    DATA_ACK: Final = "9014"
    HEARTBEAT: Final = "9015"


# Answers are never answered; notifications from the field are answered with 9013 (2017 §6.1, 2005 附录C).
REPLY_CNS = frozenset(c.code for c in CN_CODES.values() if c.kind == "reply")
NOTICES_FROM_FIELD = frozenset({"1013", "2072"})

# HJ 212-2017 表6 (2005 had only 1, 2, 3 = 密码错误).
QN_RTN: MappingProxyType[str, str] = MappingProxyType(
    {
        "1": "准备执行请求",
        "2": "请求被拒绝",
        "3": "PW错误",
        "4": "MN错误",
        "5": "ST错误",
        "6": "Flag错误",
        "7": "QN错误",
        "8": "CN错误",
        "9": "CRC校验错误",
        "100": "未知错误",
    }
)

# HJ 212-2017 表7 (2005 had 1, 2, 100).
EXE_RTN: MappingProxyType[str, str] = MappingProxyType(
    {
        "1": "执行成功",
        "2": "执行失败，但不知道原因",
        "3": "命令请求条件错误",
        "4": "通讯超时",
        "5": "系统繁忙不能执行",
        "6": "系统故障",
        "100": "没有数据",
    }
)

# HJ 212-2017 表8. An open set on the wire: local extensions (St, Sd, Md, H, L …) are stored as given.
DATA_FLAGS: MappingProxyType[str, str] = MappingProxyType(
    {
        "N": "在线监控（监测）仪器仪表工作正常",
        "F": "在线监控（监测）仪器仪表停运",
        "M": "在线监控（监测）仪器仪表处于维护期间产生的数据",
        "S": "手工输入的设定值",
        "D": "在线监控（监测）仪器仪表故障",
        "C": "在线监控（监测）仪器仪表处于校准状态",
        "T": "在线监控（监测）仪器仪表采样数值超过测量上限",
        "B": "在线监控（监测）仪器仪表与数采仪通讯异常",
    }
)

# HJ/T 212-2005: pollution sources use letters, air stations digits.
DATA_FLAGS_2005: MappingProxyType[str, str] = MappingProxyType(
    {
        "P": "电源故障",
        "F": "排放源停运",
        "C": "校验",
        "M": "维护",
        "T": "超测上限",
        "D": "故障",
        "S": "设定值",
        "N": "正常",
        "0": "校准（空气站）",
        "1": "气象参数（空气站）",
        "2": "异常（空气站）",
        "3": "正常（空气站）",
    }
)
