"""Point design of a compute satellite: size array, battery, radiator and shielding, and tally the mass budget."""
