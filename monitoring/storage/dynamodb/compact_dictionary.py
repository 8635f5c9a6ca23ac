"""The preset deflate dictionary of compact body format 1: typical raw shapes of the default profile.

Frozen: every body of format 1 was deflated against exactly these bytes. Change it only with a new format byte.
"""

DICTIONARY_V1: bytes = (
    b"SB01-RS SB01-RT GPS-Lat GPS-Lng i33202 Rtd ZsRtd EFlag\n"
    b'{"ua":"F","ia":"F","p":"F","ep_fwd":"F"}\n'
    b'[["Ua01",["Avg","Max","Min","Flag"]],["Ub01",["Avg","Max","Min","Flag"]],["Uc01",["Avg","Max","M'
    b'in","Flag"]],["Uab01",["Avg","Max","Min","Flag"]],["Ubc01",["Avg","Max","Min","Flag"]],["Uca01",'
    b'["Avg","Max","Min","Flag"]],["Ia01",["Avg","Max","Min","Flag"]],["Ib01",["Avg","Max","Min","Flag'
    b'"]],["Ic01",["Avg","Max","Min","Flag"]],["I001",["Avg","Max","Min","Flag"]],["Pa01",["Avg","Max"'
    b',"Min","Flag"]],["Pb01",["Avg","Max","Min","Flag"]],["Pc01",["Avg","Max","Min","Flag"]],["P01",['
    b'"Avg","Max","Min","Flag"]],["Qa01",["Avg","Max","Min","Flag"]],["Qb01",["Avg","Max","Min","Flag"'
    b']],["Qc01",["Avg","Max","Min","Flag"]],["Q01",["Avg","Max","Min","Flag"]],["S01",["Avg","Max","M'
    b'in","Flag"]],["PFa01",["Avg","Max","Min","Flag"]],["PFb01",["Avg","Max","Min","Flag"]],["PFc01",'
    b'["Avg","Max","Min","Flag"]],["PF01",["Avg","Max","Min","Flag"]],["F01",["Avg","Max","Min","Flag"'
    b']],["UAa01",["Avg","Max","Min","Flag"]],["UAb01",["Avg","Max","Min","Flag"]],["UAc01",["Avg","Ma'
    b'x","Min","Flag"]],["IAa01",["Avg","Max","Min","Flag"]],["IAb01",["Avg","Max","Min","Flag"]],["IA'
    b'c01",["Avg","Max","Min","Flag"]],["EPf01",["Avg","Max","Min","Flag"]],["EPr01",["Avg","Max","Min'
    b'","Flag"]],["EQf01",["Avg","Max","Min","Flag"]],["EQr01",["Avg","Max","Min","Flag"]],["DP01",["A'
    b'vg","Max","Min","Flag"]],["DPM01",["Avg","Max","Min","Flag"]],["DIa01",["Avg","Max","Min","Flag"'
    b']],["DIb01",["Avg","Max","Min","Flag"]],["DIc01",["Avg","Max","Min","Flag"]]]\n'
    b'[["DIa01",["Flag","Max"]],["DIb01",["Flag","Max"]],["DIc01",["Flag","Max"]],["DP01",["Max"]],["D'
    b'PM01",["Flag","Max"]],["EPf01",["Cou","Flag"]],["EPr01",["Cou","Flag"]],["EQf01",["Cou","Flag"]]'
    b',["EQr01",["Cou","Flag"]],["F01",["Max","Min"]],["I001",["Max","Min"]],["IAa01",["Max","Min"]],['
    b'"IAb01",["Max","Min"]],["IAc01",["Max","Min"]],["Ia01",["Max","Min"]],["Ib01",["Max","Min"]],["I'
    b'c01",["Max","Min"]],["P01",["Max","Min"]],["PF01",["Max","Min"]],["PFa01",["Max","Min"]],["PFb01'
    b'",["Max","Min"]],["PFc01",["Max","Min"]],["Pa01",["Max","Min"]],["Pb01",["Max","Min"]],["Pc01",['
    b'"Max","Min"]],["Q01",["Max","Min"]],["Qa01",["Max","Min"]],["Qb01",["Max","Min"]],["Qc01",["Max"'
    b',"Min"]],["S01",["Max","Min"]],["UAa01",["Max","Min"]],["UAb01",["Max","Min"]],["UAc01",["Max","'
    b'Min"]],["Ua01",["Max","Min"]],["Uab01",["Max","Min"]],["Ub01",["Max","Min"]],["Ubc01",["Max","Mi'
    b'n"]],["Uc01",["Max","Min"]],["Uca01",["Max","Min"]]]'
)
