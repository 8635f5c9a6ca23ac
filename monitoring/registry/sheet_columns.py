"""Column specs of the installer sheets: canonical name → accepted headers (the first is the template's).

`SHEETS` maps each sheet to (columns, required columns, whether the sheet may be absent from a workbook).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

FACILITY_COLUMNS = {
    "enterprise_name": ("企业名称",),
    "code": ("设施编码",),
    "name": ("设施名称",),
    "kind": ("设施类型",),
    "process": ("工艺", "生产工艺"),
    "rated_power_kw": ("额定功率(kW)", "额定功率（kW）", "额定功率"),
    "rated_current_a": ("额定电流(A)", "额定电流（A）", "额定电流"),
}
POINT_COLUMNS = {
    "enterprise_name": ("企业名称",),
    "point_code": ("点位编码",),
    "name": ("点位名称",),
    "facility_code": ("设施编码",),
    "mn": ("终端MN", "MN"),
    "channel": ("通道", "通道号"),
    "ct_ratio": ("CT变比",),
    "pt_ratio": ("PT变比",),
    "status": ("点位状态", "状态"),
    "permit_code": ("排污许可证编号", "许可证编号"),
    "circuit_no": ("回路号",),
}
LINE_COLUMNS = {
    "enterprise_name": ("企业名称",),
    "name": ("治理线名称",),
    "control_code": ("治污设施编码",),
    "production_codes": ("产污设施编码",),
    "start_lead_s": ("启动提前(秒)", "启动提前（秒）"),
    "stop_lag_s": ("停止滞后(秒)", "停止滞后（秒）"),
    "control_on_kw": ("治污开启阈值(kW)", "治污开启阈值（kW）"),
    "production_on_kw": ("产污开启阈值(kW)", "产污开启阈值（kW）"),
    "low_load_ratio": ("低负荷比例",),
}
TERMINAL_COLUMNS = {
    "mn": ("终端MN", "MN"),
    "enterprise_name": ("企业名称",),
    "password": ("密码", "访问密码"),
    "model": ("型号",),
    "firmware": ("固件版本",),
    "profile": ("协议配置", "协议"),
    "modbus_crc": ("MODBUS校验",),
    "minute_interval_min": ("上报间隔(分钟)", "上报间隔（分钟）", "数据间隔(分钟)", "数据间隔（分钟）", "上报间隔"),
}
ENTERPRISE_COLUMNS = {
    "enterprise_name": ("企业名称",),
    "credit_code": ("统一社会信用代码", "信用代码"),
    "permit_no": ("排污许可证编号", "许可证编号"),
    "industry": ("行业", "所属行业"),
    "performance_grade": ("绩效分级",),
    "contact_name": ("联系人",),
    "contact_role": ("联系人角色", "角色"),
    "contact_phone": ("联系电话", "电话"),
}
SHEETS: Mapping[str, tuple[Mapping[str, Sequence[str]], Sequence[str], bool]] = {
    "企业": (ENTERPRISE_COLUMNS, ("enterprise_name",), True),
    "设施": (FACILITY_COLUMNS, ("enterprise_name", "code", "name", "kind"), False),
    "点位": (POINT_COLUMNS, ("enterprise_name", "point_code", "name", "facility_code"), False),
    "治理线": (LINE_COLUMNS, ("enterprise_name", "name", "control_code", "production_codes"), True),
    "终端": (TERMINAL_COLUMNS, ("mn", "enterprise_name"), True),
}
