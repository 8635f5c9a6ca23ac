"""README.txt of an evidence package: what each file is and how to check the package, in Chinese."""

from __future__ import annotations

from monitoring.evidence.collect import Evidence
from monitoring.evidence.delivered import DeliveredProof
from monitoring.evidence.documents import enterprise_name, when


def readme(evidence: Evidence, *, values: int, traced: int, photos_missing: int) -> str:
    chains = "\n".join(
        f"  终端 {c.mn}：第{c.frames[0].seq}至{(c.tail or c.frames)[-1].seq}条"
        + ("（直至导出时的链头）" if c.reaches_head else f"（导出时链头为第{c.head.seq}条，哈希 {c.head.hash}）")
        for c in evidence.chains
    )
    missing = f"\n注意：有 {photos_missing} 张照片的文件无法读取，仅列出其记录。" if photos_missing else ""
    proof = evidence.delivered
    middle = _files(delivered=False) + _chain(chains) if proof is None else _files(delivered=True) + _delivered(proof)
    return _header(evidence) + middle + _how(values, traced, missing, "哈希链" if proof is None else "哈希证明")


def _header(evidence: Evidence) -> str:
    return f"""工况用电监控 告警证据包
====================

企业：{enterprise_name(evidence)}
告警：{evidence.rule_name}
告警产生时间：{when(evidence.alarm.created_at)}
证据时间窗口：{when(evidence.start)} 至 {when(evidence.end)}（北京时间）

"""


def _files(*, delivered: bool) -> str:
    frames = (
        """  frames/<MN>/        终端上报的原始报文，按平台接收时的字节原样保存，文件名为“全局链环号-对象内位置”
  proof/<MN>.jsonl    该终端在各数据对象中的全部报文记录：每行一条，含全局链环号、对象内位置及被哈希的内容
  archive/links.jsonl 全局链：每个数据对象一环，含序号、数据对象名、上一清单哈希、本清单哈希
  archive/manifests/  各数据对象的清单（原样的 gzip 文件，文件名为其全局链环号）"""
        if delivered
        else """  frames/<MN>/        终端上报的原始报文，按平台接收时的字节原样保存，文件名为其在哈希链中的序号
  proof/<MN>.jsonl    哈希链记录：每行一条，含序号、前一哈希、本条哈希及被哈希的内容"""
    )
    return f"""一、文件说明
  README.txt          本说明
  SHA256SUMS.txt      清单：除本清单外每个文件的 SHA-256 摘要（格式同 sha256sum）
  package.json        证据包结构说明（各终端哈希链的起止、链头，供校验脚本读取）
  verify.py           校验脚本（仅用 Python 标准库）
  rule.txt            告警类型、判定规则与阈值、告警时段的文字说明，涉及的点位与设施
  response.txt        企业响应、派发、现场核查与办结情况
  photos/             企业响应与现场核查照片（原始文件）
  readings.csv        证据时间窗口内治理线各点位的分钟数据（UTF-8，可用 Excel 打开），
                      每个数值注明其来源报文（终端MN、帧序号、因子编码、报文原始值、换算系数）
  chart.png/pdf       产污与治污设施用电功率对比图，红色底纹为告警时段，虚线为判定阈值
  notifications.csv   平台发出的通知（短信、微信等；手机号已部分隐去）
  audit.csv           告警处理流程与操作审计记录
{frames}

"""


def _chain(chains: str) -> str:
    return f"""二、哈希链说明
  平台对每台终端接收到的每一帧报文按接收顺序编号，并计算
      本条哈希 = SHA-256(前一条哈希的64位十六进制文本 + 换行符 + 本条内容)
  其中“本条内容”是按键名排序、无空格的 JSON：报文字节（base64）、接收时间（微秒）、来源地址、
  认证结果、校验方式、命令编码、请求编号、接入实例与会话。第一条的“前一条哈希”为64个0。
  改动、插入或删除任何一帧，其后所有哈希都会改变。本证据包中的链段：
{chains}
  链段起点的“前一条哈希”记在 package.json（anchor_hash）。可与日后再次导出的证据包相互印证：
  同一序号的哈希必须相同。
"""


def _delivered(proof: DeliveredProof) -> str:
    terminals = "\n".join(
        f"  终端 {c.mn}：{len(c.entries)} 个数据对象（全局链第{c.entries[0].link.seq}至{c.entries[-1].link.seq}环），"
        f"时间窗口内 {len(c.window)} 帧"
        for c in proof.chains
    )
    first, last, head = proof.links[0], proof.links[-1], proof.head
    reach = "（直至导出时的链头）" if proof.reaches_head else f"（导出时链头为第{head.seq}环，哈希 {head.hash}）"
    return f"""二、哈希证明说明（原始报文存于不可删改的对象存储）
  平台把接收到的每一帧报文原样写入按日期分区的数据对象（对象锁定，保存期内不能删除或改写），
  并为每个数据对象写一份清单，清单记录其中每台终端的报文位置、条数与
      报文摘要 = SHA-256(该终端在本对象中各帧内容依次拼接，每帧后加换行符)
  以及该终端的上一条目，条目哈希 = SHA-256(上一条目哈希 + 换行符 + 报文摘要)，首个条目的上一哈希为64个0。
  其中“内容”是按键名排序、无空格的 JSON：报文字节（base64）、接收时间（微秒）、来源地址、
  认证结果、校验方式、命令编码、请求编号、接入实例与会话。
  每份清单文件的 SHA-256 依次记入全局链：每环记录上一清单哈希与本清单哈希，环环相扣。
  改动任何一帧，清单中的摘要即不符；改动清单，全局链中的哈希即不符；改动、删除或插入一环，其后各环即不衔接。
  本证据包中：
{terminals}
  全局链第{first.seq}至{last.seq}环{reach}；起点的上一清单哈希记在 package.json（anchor_hash）。
  可与日后再次导出的证据包、或平台定期公布的链头相互印证：同一环号的哈希必须相同。
"""


def _how(values: int, traced: int, missing: str, proof: str) -> str:
    return f"""  导出时，平台将本证据包（ZIP 文件）的 SHA-256 与告警编号一并记入平台审计记录，并告知导出人；
  执行 python verify.py 证据包.zip --sha256 记录的哈希，可核对手中的文件即为当时导出的文件。

三、如何校验
  1. 安装 Python 3.8 或更高版本（无需其他软件包）。
  2. 在本文件所在目录执行：  python verify.py 证据包.zip
     （也可对解压后的文件夹执行：python verify.py 文件夹路径）
  3. 脚本逐项检查：清单中每个文件的 SHA-256；每台终端的{proof}连续且逐条哈希正确；
     frames/ 中的原始报文与{proof}中的字节一致；readings.csv 中的每个数值确实出现在对应报文中
     （数据时间、因子编码、原始值一致，且 数值 = 原始值 × 换算系数，同一点位同一电参量换算系数不变）。
  4. 输出“校验通过”即证据包自导出后未被改动，且数据与终端原始报文一致；否则列出每一处问题。
  5. 加 --sha256 记录的哈希，另核对 ZIP 文件本身与导出时记入平台审计记录的哈希一致。
  另可用 sha256sum -c SHA256SUMS.txt 单独核对文件摘要。

本包共有数据 {values} 个，其中 {traced} 个已对应到原始报文。{missing}
"""
