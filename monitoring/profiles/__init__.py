"""Protocol profiles: data files that say which (ST, CN) and factor codes mean which quantities (loader, mapping)."""
