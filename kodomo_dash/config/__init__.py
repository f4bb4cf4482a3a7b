"""What differs per city, as data: its units (wards, or the city itself) and its programmes."""
