"""Physical constants used by the orbital models, SI units unless the name says otherwise.

Sources
-------
- WGS84 ellipsoid: NIMA TR8350.2 (3rd ed., 2000), Table 3.1.
- Earth gravitational parameter and J2 for the analytic propagator: EGM96 / WGS84 values
  (mu = 3.986004418e14 m^3/s^2, J2 = 1.08262998905e-3, J3 = -2.53215306e-6, Vallado, *Fundamentals of Astrodynamics and
  Applications*, 4th ed., Table D-1).
- Solar radius 695,700 km (IAU 2015 Resolution B3, nominal solar radius).
- Astronomical unit 149,597,870,700 m (IAU 2012 Resolution B2).
- Solar constant (total solar irradiance at 1 AU, AM0) 1361 W/m^2: the IAU 2015 Resolution B3 nominal value
  (docs/sources.md §5; Suncatcher §4.4).
- Speed of light in vacuum 299,792,458 m/s, exact (the SI definition of the metre; BIPM SI Brochure, 9th ed., 2019).
- Mean Earth orbital rate 0.9856473598 deg/day = 360 deg per tropical year of 365.2421897 days (the nodal rate a
  sun-synchronous orbit must match).
"""

import math

WGS84_A_M = 6_378_137.0
WGS84_F = 1.0 / 298.257223563
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
#: WGS84 semi-minor axis b = a (1 - f), metres (NIMA TR8350.2 Table 3.3: 6,356,752.3142 m).
WGS84_B_M = WGS84_A_M * (1.0 - WGS84_F)
#: WGS84 mean radius of the semi-axes R1 = (2a + b) / 3, metres (NIMA TR8350.2 Table 3.3: 6,371,008.7714 m).
WGS84_MEAN_RADIUS_M = (2.0 * WGS84_A_M + WGS84_B_M) / 3.0

EARTH_MU_M3_S2 = 3.986004418e14
EARTH_J2 = 1.08262998905e-3
EARTH_J3 = -2.53215306e-6
EARTH_EQUATORIAL_RADIUS_M = WGS84_A_M
EARTH_ROTATION_RAD_S = 7.292115146706979e-5

SUN_RADIUS_M = 6.957e8
AU_M = 149_597_870_700.0
SPEED_OF_LIGHT_M_S = 299_792_458.0
SOLAR_CONSTANT_W_M2 = 1361.0

SECONDS_PER_DAY = 86_400.0
SECONDS_PER_JULIAN_YEAR = 365.25 * SECONDS_PER_DAY
TROPICAL_YEAR_DAYS = 365.2421897
SUN_MEAN_MOTION_RAD_S = 2.0 * math.pi / (TROPICAL_YEAR_DAYS * SECONDS_PER_DAY)

J2000_JD = 2_451_545.0
