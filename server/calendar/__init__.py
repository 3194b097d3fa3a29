"""Calendar files: .ics per series and enrolment, and a private feed per staff member."""
