"""CSV import (reading -> mapping -> checking -> writing) and CSV export of customers."""
