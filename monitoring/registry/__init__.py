"""The registry (一企一档): jurisdictions, enterprises, facilities, monitoring points, associations, terminals."""
