"""factory-boy factories for the models the tests build most."""

import factory
from django.contrib.gis.geos import MultiPolygon, Polygon

from backend.accounts.models import RoleAssignment, User
from geo.models import District, Municipality, Neighbourhood


def square(lon: float, lat: float, size: float = 0.1) -> MultiPolygon:
    """A square of `size` degrees with its south-west corner at (lon, lat)."""
    ring = [(lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size), (lon, lat)]
    return MultiPolygon(Polygon(ring), srid=4326)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = "inspector"
    municipality_code = "GM1783"


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality

    code = factory.Sequence(lambda n: f"GM{9000 + n:04d}")
    name = factory.Sequence(lambda n: f"Gemeente {n}")
    year = 2024
    geom = factory.LazyFunction(lambda: square(5.0, 52.0))


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    municipality = factory.SubFactory(MunicipalityFactory)
    code = factory.LazyAttributeSequence(lambda d, n: f"WK{d.municipality.code[2:]}{n % 100:02d}")
    name = factory.Sequence(lambda n: f"Wijk {n}")
    year = factory.SelfAttribute("municipality.year")
    geom = factory.SelfAttribute("municipality.geom")


class NeighbourhoodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Neighbourhood

    district = factory.SubFactory(DistrictFactory)
    municipality = factory.SelfAttribute("district.municipality")
    code = factory.LazyAttributeSequence(lambda b, n: f"BU{b.district.code[2:]}{n % 100:02d}")
    name = factory.Sequence(lambda n: f"Buurt {n}")
    year = factory.SelfAttribute("district.year")
    geom = factory.SelfAttribute("district.geom")
