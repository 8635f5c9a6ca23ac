"""The monthly report (月度报告) per county, town or branch: figures from the store, written as XLSX and as PDF."""
