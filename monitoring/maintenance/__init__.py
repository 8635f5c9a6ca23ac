"""The maintenance log: what installers and operators did on site (inspections, repairs, commissioning)."""
